"""Reads a log in one of the readers' formats and writes it back with every objective.

    python -m experiments.objectives --format=lfm1b --input=LFM-1b_LEs.txt --output=mlhd.parquet
    python -m experiments.objectives --format=csv --input=plays.csv --output=plays.csv \\
        --mapping='{"user_id": "listener", "item_id": "song", "artist_id": "band", "timestamp": "t"}'

The output holds the ids, `timestamp`, `session_id`, the objective columns the
format supports (raw values, NaN = unknown) and, unless `--raw_fields=false`,
the format's raw fields. The write is atomic (a temporary file in the output
folder, then `os.replace`), so a crash never leaves a half-written table.
A one-line summary per objective (known rows, mean) goes to stdout.
"""

from __future__ import annotations

import json
import os
import pathlib
from typing import Any

from absl import app, flags

from ms_bridge import reporting

FLAGS = flags.FLAGS


def define_flags() -> None:
    """Defines the CLI flags; only when run as a script, so importing `run` adds no global flags.

    `experiments.common` defines `format` and `mapping` too: an existing flag is shared.
    """
    def define(kind: str, name: str, default: Any, help_text: str) -> None:
        if name not in FLAGS:
            getattr(flags, f"DEFINE_{kind}")(name, default, help_text)

    define("string", "format", "", "Reader: lfm1b, lastfm1k, mssd, douyin, kuairand or csv.")
    define("string", "input", "", "Log file to read.")
    define("string", "output", "", "Where to write the table: a .csv or .parquet path.")
    define("string", "mapping", "", "For --format=csv: JSON {our_name: their_name}, or a path to a JSON file.")
    define("string", "options", "", "JSON object of extra reader options, e.g. '{\"watch_rule\": \"strict\"}'.")
    define("boolean", "raw_fields", True, "Also write the format's raw fields.")


OUTPUT_SUFFIXES = (".csv", ".parquet")
CORE_COLUMNS = ("user_id", "item_id", "artist_id", "timestamp", "session_id")


def _json(text: str, flag: str) -> dict:
    if not text:
        return {}
    path = pathlib.Path(text)
    if not text.lstrip().startswith("{") and path.is_file():
        text = path.read_text()
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"--{flag} is not valid JSON ({error}): {text[:80]!r}") from None
    if not isinstance(value, dict):
        raise ValueError(f"--{flag} must be a JSON object, got {type(value).__name__}")
    return value


def ordered_columns(frame, objective_names, raw_fields: bool = True) -> list[str]:
    """Ids, time and session first, then raw fields (optional), then the objectives."""
    core = [c for c in CORE_COLUMNS if c in frame.columns]
    objectives = [c for c in objective_names if c in frame.columns]
    raw = [c for c in frame.columns if c not in core and c not in objectives] if raw_fields else []
    return core + raw + objectives


def write_atomic(frame, output: str | os.PathLike) -> pathlib.Path:
    """Writes `frame` to a .csv or .parquet path through a temporary file and `os.replace`."""
    path = pathlib.Path(output)
    suffix = path.suffix.lower()
    if suffix not in OUTPUT_SUFFIXES:
        raise ValueError(f"--output must end in {OUTPUT_SUFFIXES}, got {str(output)!r}")
    if not path.parent.is_dir():
        raise ValueError(f"--output folder {str(path.parent)!r} does not exist")
    if suffix == ".csv":
        reporting.atomic_write_with(path, lambda tmp: frame.to_csv(tmp, index=False))
    else:
        reporting.atomic_write_with(path, lambda tmp: frame.to_parquet(tmp, index=False))
    return path


def run(fmt: str, input_path: str, output: str, mapping: dict | None = None, options: dict | None = None,
        raw_fields: bool = True):
    """Reads, derives and writes; returns the table written."""
    from ms_bridge.datasets import formats
    from ms_bridge.datasets.formats._common import OBJECTIVE_RANGES

    if fmt not in formats.FORMATS:
        raise ValueError(f"--format {fmt!r} unknown; known: {sorted(formats.FORMATS)}")
    if not input_path:
        raise ValueError("--input is required")
    if pathlib.Path(output).suffix.lower() not in OUTPUT_SUFFIXES:
        raise ValueError(f"--output must end in {OUTPUT_SUFFIXES}, got {output!r}")
    options = dict(options or {})
    if mapping:
        if fmt != "csv":
            raise ValueError(f"--mapping is for --format=csv, not {fmt!r}")
        options["mapping"] = mapping
    elif fmt == "csv":
        raise ValueError("--format=csv needs --mapping (JSON {our_name: their_name})")
    frame = formats.read_log(fmt, input_path, **options)
    objective_names = [name for name in OBJECTIVE_RANGES if name in frame.columns]
    table = frame[ordered_columns(frame, objective_names, raw_fields)]
    write_atomic(table, output)
    print(f"{output}: {len(table)} rows, {len(table.columns)} columns (format {fmt})")
    for name in objective_names:
        known = table[name].notna()
        mean = table.loc[known, name].mean() if known.any() else float("nan")
        print(f"  {name:22s} known {int(known.sum()):>9d}  mean {mean:.4f}")
    return table


def main(argv: list[str]) -> int:
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments {argv[1:]}")
    run(FLAGS.format, FLAGS.input, FLAGS.output, _json(FLAGS.mapping, "mapping"), _json(FLAGS.options, "options"),
        FLAGS.raw_fields)
    return 0


if __name__ == "__main__":
    define_flags()
    app.run(main)
