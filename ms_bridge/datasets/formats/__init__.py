"""Readers of the public log formats and of any mapped CSV/Parquet file.

Each format module has `read(path, **options) -> DataFrame` returning an
interaction table (docs/architecture.md §1) that carries every objective the
format supports (NaN = unknown). `FORMATS` maps a format name to its reader,
`FORMAT_SPEC` to the DatasetSpec it feeds (None for `csv`: the caller picks),
`FORMAT_OBJECTIVES` to the objective columns it writes.

Example:
>>> sorted(FORMATS)
['csv', 'douyin', 'kuairand', 'lastfm1k', 'lfm1b', 'mssd']
>>> FORMAT_SPEC["lfm1b"]
'mlhd'
>>> frame = read_log("lfm1b", "LFM-1b_LEs.txt")  # doctest: +SKIP
"""

from __future__ import annotations

import inspect
from typing import Callable

import pandas as pd

from ms_bridge.datasets.formats import douyin, kuairand, lastfm1k, lfm1b, mapped, mssd
from ms_bridge.datasets.formats._common import UNKNOWN_ARTIST

_MODULES = {"lfm1b": lfm1b, "lastfm1k": lastfm1k, "mssd": mssd, "douyin": douyin, "kuairand": kuairand,
            "csv": mapped}

#: format name -> reader `read(path, **options) -> DataFrame`
FORMATS: dict[str, Callable[..., pd.DataFrame]] = {name: module.read for name, module in _MODULES.items()}
#: format name -> DatasetSpec name it stands in for (None: any, chosen by the caller)
FORMAT_SPEC: dict[str, str | None] = {name: module.SPEC for name, module in _MODULES.items()}
#: format name -> objective columns it writes (csv: depends on the mapping)
FORMAT_OBJECTIVES: dict[str, tuple[str, ...]] = {
    name: tuple(getattr(module, "OBJECTIVES", ())) for name, module in _MODULES.items()}


def read_log(format: str, path, **options) -> pd.DataFrame:
    """Reads `path` with the reader of `format`; options go to that reader.

    Raises:
        ValueError: unknown format or option (the message lists the known ones).
        DataContractError: the file breaks the data contract.
    """
    if format not in FORMATS:
        raise ValueError(f"unknown format {format!r}; known: {sorted(FORMATS)}")
    reader = FORMATS[format]
    accepted = list(inspect.signature(reader).parameters)[1:]
    unknown = [k for k in options if k not in accepted]
    if unknown:
        raise ValueError(f"format {format!r} does not take option(s) {unknown}; it takes {accepted}")
    return reader(path, **options)


__all__ = ["FORMATS", "FORMAT_SPEC", "FORMAT_OBJECTIVES", "UNKNOWN_ARTIST", "read_log"]
