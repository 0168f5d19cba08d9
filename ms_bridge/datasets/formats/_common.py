"""Parsing helpers shared by the format readers.

Every helper refuses bad input with `DataContractError` naming the file, the
column, how many rows are bad and the first offending values, so that each
reader stays a short description of its format.

Example:
>>> import pandas as pd
>>> raw = pd.DataFrame({"t": ["2009-05-04T23:08:57Z"]})
>>> int(parse_timestamps(raw, "t", "iso", "toy.tsv")[0])
1241478537
"""

from __future__ import annotations

import csv
import os
import pathlib
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from ms_bridge.datasets.contract import DataContractError, offending, validate_interactions
from ms_bridge.datasets.spec import ALTERNATIVE_ARTIST_OBJECTIVES, SPECS

#: artist id given to every row of a format that has no creator id (MSSD, the KuaiRand sample).
UNKNOWN_ARTIST = "unknown_artist"

#: raw range of every SPEC §14 objective column, from the registered DatasetSpecs.
OBJECTIVE_RANGES: dict[str, tuple[float, float]] = {
    o.name: o.raw_range
    for spec in SPECS.values() for o in spec.objectives
}
OBJECTIVE_RANGES.update({o.name: o.raw_range for o in ALTERNATIVE_ARTIST_OBJECTIVES})

TIMESTAMP_FORMATS = ("unix", "unix_ms", "iso")

PathLike = str | os.PathLike


def source_name(path: PathLike) -> str:
    """The file name used in error messages."""
    return str(path)


def read_delimited(path: PathLike, *, sep: str, names: Sequence[str] | None = None,
                   header: bool = False, quoting: int = csv.QUOTE_MINIMAL) -> pd.DataFrame:
    """Reads a delimited text file with every column as text (empty fields = NaN).

    Type conversion is left to the `parse_*` helpers, which report bad values
    instead of failing inside pandas. A missing or empty file is a
    `DataContractError`; so is a row with too many fields.
    """
    source = source_name(path)
    if not pathlib.Path(path).is_file():
        raise DataContractError(source, None, "file does not exist")
    try:
        frame = pd.read_csv(path, sep=sep, header=0 if header else None, names=None if header else names,
                            dtype=str, keep_default_na=False, na_values=[""], quoting=quoting,
                            engine="c")
    except pd.errors.EmptyDataError:
        raise DataContractError(source, None, "no interactions (empty file)") from None
    except pd.errors.ParserError as error:
        raise DataContractError(source, None, f"not a valid {sep!r}-separated table: {error}") from None
    if len(frame) == 0:
        raise DataContractError(source, None, "no interactions (empty file)")
    if header and names is not None:
        require(frame, names, source)
    return frame


def read_table(path: PathLike) -> pd.DataFrame:
    """Reads CSV (`,`), TSV (`.tsv`/`.txt`, tab) or Parquet with every CSV column as text."""
    suffix = pathlib.Path(path).suffix.lower()
    source = source_name(path)
    if suffix in (".parquet", ".pq"):
        if not pathlib.Path(path).is_file():
            raise DataContractError(source, None, "file does not exist")
        frame = pd.read_parquet(path)
        if len(frame) == 0:
            raise DataContractError(source, None, "no interactions (empty file)")
        return frame
    sep = "\t" if suffix in (".tsv", ".txt") else ","
    return read_delimited(path, sep=sep, header=True)


def require(frame: pd.DataFrame, columns: Sequence[str], source: str) -> None:
    """Raises `DataContractError` naming the first missing column."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataContractError(source, missing[0],
                                f"missing required column(s) {missing}; present: {list(frame.columns)}")


def _refuse(frame: pd.DataFrame, bad: np.ndarray, column: str, source: str, problem: str) -> None:
    if bad.any():
        n, examples = offending(frame, bad, column)
        raise DataContractError(source, column, problem, n, examples)


def require_present(frame: pd.DataFrame, column: str, source: str) -> None:
    """Refuses missing (NaN / empty) values in an id column, naming the rows."""
    bad = frame[column].isna().to_numpy()
    if bad.any():
        rows = [f"row {i}" for i in frame.index[bad][:5]]
        raise DataContractError(source, column, "id is missing (NaN)", int(bad.sum()), rows)


def parse_int(frame: pd.DataFrame, column: str, source: str, *, allow_missing: bool = False) -> pd.Series:
    """Integer column as int64 (float64 with NaN when `allow_missing` and some are missing)."""
    values = frame[column]
    if pd.api.types.is_integer_dtype(values) and not pd.api.types.is_extension_array_dtype(values):
        return values.astype(np.int64)
    if not allow_missing:
        require_present(frame, column, source)
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    arr = numbers.to_numpy()
    bad = values.notna().to_numpy() & (np.isnan(arr) | (arr != np.floor(arr)))
    _refuse(frame, bad, column, source, "not an integer")
    if np.isnan(arr).any():
        return numbers
    return numbers.astype(np.int64)


def parse_float(frame: pd.DataFrame, column: str, source: str) -> pd.Series:
    """Numeric column as float64; missing values stay NaN, text that is not a number is refused."""
    values = frame[column]
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    bad = values.notna().to_numpy() & numbers.isna().to_numpy()
    _refuse(frame, bad, column, source, "not a number")
    return numbers


_BOOLEANS = {"true": True, "false": False, "1": True, "0": False, "1.0": True, "0.0": False}


def parse_bool(frame: pd.DataFrame, column: str, source: str) -> pd.Series:
    """`True/False`, `true/false` or `1/0` as a bool column; anything else is refused."""
    values = frame[column]
    if pd.api.types.is_bool_dtype(values):
        return values.astype(bool)
    mapped = values.astype(str).str.strip().str.lower().map(_BOOLEANS)
    bad = mapped.isna().to_numpy()
    _refuse(frame, bad, column, source, "not a boolean (expected True/False, true/false or 1/0)")
    return mapped.astype(bool)


def parse_timestamps(frame: pd.DataFrame, column: str, fmt: str, source: str) -> pd.Series:
    """Timestamps as int64 UTC seconds.

    Args:
        fmt: `unix` (seconds), `unix_ms` (milliseconds), `iso` (ISO 8601; naive
            values are taken as UTC) or a `strftime` pattern such as `%d-%m-%y`.
    """
    values = frame[column]
    if fmt in ("unix", "unix_ms"):
        numbers = pd.to_numeric(values, errors="coerce").astype(float)
        arr = numbers.to_numpy()
        bad = np.isnan(arr) | (arr != np.floor(arr))
        _refuse(frame, bad, column, source, f"timestamp not parseable as {fmt} (integer) time")
        seconds = arr.astype(np.int64)
        return pd.Series(seconds // 1000 if fmt == "unix_ms" else seconds, index=frame.index, name=column)
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = pd.to_datetime(values, utc=True)
    else:
        text = values.astype(str).where(values.notna(), None)
        parsed = pd.to_datetime(text, utc=True, errors="coerce", format="ISO8601" if fmt == "iso" else fmt)
    bad = parsed.isna().to_numpy()
    _refuse(frame, bad, column, source, f"timestamp not parseable with format {fmt!r}")
    return pd.Series(datetime_to_seconds(parsed), index=frame.index, name=column)


def datetime_to_seconds(parsed: pd.Series) -> np.ndarray:
    """UTC datetimes (any resolution) to int64 seconds since the epoch."""
    return parsed.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy().astype("datetime64[s]").astype(np.int64)


def stable_time_order(frame: pd.DataFrame, by: Sequence[str] = ("timestamp",)) -> pd.DataFrame:
    """Rows in (by..., input order) order with a fresh RangeIndex; ties keep input order."""
    ordered = frame.sort_values(list(by), kind="mergesort")
    return ordered.reset_index(drop=True)


def load_durations(durations: Any, source: str = "durations") -> pd.Series | None:
    """Track durations in seconds as a Series indexed by item id.

    Accepts None, a {item_id: seconds} mapping, a Series, a DataFrame or a
    CSV/TSV/Parquet path with an id column (`item_id`, `track_id` or `id`) and
    a duration column (`duration` or `duration_s` in seconds, `duration_ms`).
    """
    if durations is None:
        return None
    if isinstance(durations, Mapping):
        series = pd.Series(durations, dtype=float)
    elif isinstance(durations, pd.Series):
        series = durations.astype(float)
    else:
        if isinstance(durations, pd.DataFrame):
            table = durations
        elif isinstance(durations, (str, os.PathLike)):
            source = source_name(durations)
            table = read_table(durations)
        else:
            raise ValueError(f"durations must be a path, mapping, Series or DataFrame, got {type(durations)}")
        ids = [c for c in ("item_id", "track_id", "id") if c in table.columns]
        if not ids:
            raise DataContractError(source, "item_id", f"no id column (item_id, track_id or id) in {list(table.columns)}")
        cols = [c for c in ("duration", "duration_s", "duration_ms") if c in table.columns]
        if not cols:
            raise DataContractError(source, "duration",
                                    f"no duration column (duration, duration_s or duration_ms) in {list(table.columns)}")
        seconds = parse_float(table, cols[0], source)
        if cols[0] == "duration_ms":
            seconds = seconds / 1000.0
        keys = table[ids[0]]
        if not pd.api.types.is_numeric_dtype(keys):
            numeric = pd.to_numeric(keys, errors="coerce")
            keys = numeric.astype(np.int64) if numeric.notna().all() and (numeric % 1 == 0).all() else keys
        series = pd.Series(seconds.to_numpy(), index=pd.Index(keys), dtype=float)
    bad = ~(series.to_numpy() > 0)
    if bad.any():
        raise DataContractError(source, "duration", "duration must be a positive number of seconds",
                                int(bad.sum()), series[bad].head(5).tolist())
    if series.index.has_duplicates:
        dup = series.index[series.index.duplicated()]
        raise DataContractError(source, "item_id", "duplicate track ids in the duration table",
                                len(dup), list(dup[:5]))
    return series


def set_objectives(frame: pd.DataFrame, result: Any, names: Sequence[str]) -> pd.DataFrame:
    """Copies objective columns from a result of `ms_bridge.objectives` into `frame` as float64.

    `result` is a DataFrame holding `names`, a Series (one name) or an array.
    """
    if isinstance(result, pd.DataFrame):
        for name in names:
            frame[name] = result[name].to_numpy(dtype=float)
        for extra in result.columns:
            if extra not in names and extra not in frame.columns:
                frame[extra] = result[extra].to_numpy()
    elif isinstance(result, pd.Series):
        frame[names[0]] = result.to_numpy(dtype=float)
    else:
        frame[names[0]] = np.asarray(result, dtype=float)
    return frame


def finish(frame: pd.DataFrame, source: str, objectives: Sequence[str]) -> pd.DataFrame:
    """Adds every listed objective that is absent as an unknown (NaN) column and checks the contract."""
    for name in objectives:
        if name not in frame.columns:
            frame[name] = np.nan
        frame[name] = frame[name].astype(np.float64)
    ranges = {name: OBJECTIVE_RANGES[name] for name in objectives if name in OBJECTIVE_RANGES}
    return validate_interactions(frame, source, ranges)


def item_side_embeddings(frame: pd.DataFrame, categorical: Sequence[str] = (),
                         numeric: Sequence[str] = (), item_column: str = "item_id") -> pd.DataFrame:
    """An embedding of each item from its side fields: one-hot categories and z-scored numbers.

    Each item takes its first row's values. Numeric fields are `log1p`-scaled
    when non-negative, then z-scored over items (a constant field becomes 0).
    Returns a float64 frame indexed by item id, one column per dimension.

    Example:
    >>> f = pd.DataFrame({"item_id": [1, 2, 1], "channel": [0, 1, 0], "duration": [10.0, 30.0, 10.0]})
    >>> item_side_embeddings(f, ["channel"], ["duration"]).shape
    (2, 3)
    """
    items = frame.drop_duplicates(item_column).set_index(item_column)
    parts = []
    for col in categorical:
        parts.append(pd.get_dummies(items[col].astype(str), prefix=col, dtype=float))
    for col in numeric:
        values = items[col].astype(float)
        if (values.dropna() >= 0).all():
            values = np.log1p(values)
        std = values.std(ddof=0)
        z = (values - values.mean()) / std if std > 0 else values * 0.0
        parts.append(z.fillna(0.0).rename(col).to_frame())
    if not parts:
        raise ValueError("item_side_embeddings needs at least one categorical or numeric field")
    return pd.concat(parts, axis=1).astype(np.float64)


def load_embeddings(embeddings: Any, source: str = "item_embeddings") -> pd.DataFrame:
    """Item embeddings as a float64 frame indexed by item id.

    Accepts a DataFrame indexed by item id, a {item_id: vector} mapping, or a
    CSV/Parquet path whose first column (or `item_id`) is the id.
    """
    if isinstance(embeddings, pd.DataFrame):
        table = embeddings
    elif isinstance(embeddings, Mapping):
        table = pd.DataFrame.from_dict({k: np.asarray(v, dtype=float) for k, v in embeddings.items()},
                                       orient="index")
    elif isinstance(embeddings, (str, os.PathLike)):
        source = source_name(embeddings)
        raw = read_table(embeddings)
        key = "item_id" if "item_id" in raw.columns else raw.columns[0]
        ids = raw[key]
        numeric_ids = pd.to_numeric(ids, errors="coerce")
        if numeric_ids.notna().all() and (numeric_ids % 1 == 0).all():
            ids = numeric_ids.astype(np.int64)
        values = raw.drop(columns=[key])
        table = pd.DataFrame({c: parse_float(values, c, source) for c in values.columns})
        table.index = pd.Index(ids)
    else:
        raise ValueError(f"item_embeddings must be a DataFrame, mapping or path, got {type(embeddings)}")
    table = table.astype(np.float64)
    if table.isna().to_numpy().any():
        raise DataContractError(source, None, "item embeddings contain NaN")
    return table

