"""The interaction-table contract (SPEC §4) and its error.

Every reader ends with `validate_interactions`, so bad input is refused in one
place with a message naming the file, the column, how many rows break the rule
and the first offending values.

Example:
>>> import pandas as pd
>>> frame = pd.DataFrame({"user_id": [1], "item_id": [2], "artist_id": [3], "timestamp": [0]})
>>> validate_interactions(frame, source="toy.csv") is frame
True
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

REQUIRED_COLUMNS = ("user_id", "item_id", "artist_id", "timestamp")
ID_COLUMNS = ("user_id", "item_id", "artist_id")


class DataContractError(ValueError):
    """Input that breaks the data contract; the message says where and what."""

    def __init__(self, source: str, column: str | None, problem: str, n_rows: int = 0,
                 examples: Sequence = ()):
        self.source, self.column, self.problem = source, column, problem
        self.n_rows, self.examples = n_rows, list(examples)[:5]
        where = f"{source}" + (f", column {column!r}" if column else "")
        detail = f" ({n_rows} rows; first offending values: {self.examples!r})" if n_rows else ""
        super().__init__(f"{where}: {problem}{detail}")


def offending(frame: pd.DataFrame, mask: np.ndarray | pd.Series, column: str) -> tuple[int, list]:
    """Count of rows where `mask` holds and the first few values of `column` there."""
    mask = np.asarray(mask, dtype=bool)
    return int(mask.sum()), frame.loc[mask, column].head(5).tolist()


def require_columns(frame: pd.DataFrame, columns: Sequence[str], source: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataContractError(source, missing[0],
                                f"missing required column(s) {missing}; present: {list(frame.columns)}")


def validate_interactions(frame: pd.DataFrame, source: str, objective_ranges: dict | None = None) -> pd.DataFrame:
    """Checks the contract; returns `frame` unchanged or raises `DataContractError`.

    Args:
        frame: interaction table.
        source: file name (or description) used in error messages.
        objective_ranges: optional {column: (low, high)}; NaN means unknown and is allowed.
    """
    if len(frame) == 0:
        raise DataContractError(source, None, "no interactions (empty input)")
    require_columns(frame, REQUIRED_COLUMNS, source)
    for col in ID_COLUMNS:
        bad = frame[col].isna().to_numpy()
        if bad.any():
            raise DataContractError(source, col, "id is missing (NaN)", int(bad.sum()),
                                    frame.index[bad][:5].map(lambda i: f"row {i}").tolist())
    ts = frame["timestamp"]
    if not pd.api.types.is_integer_dtype(ts):
        raise DataContractError(source, "timestamp", f"must be integer UTC seconds, got dtype {ts.dtype}",
                                len(ts), ts.head(5).tolist())
    for col, (low, high) in (objective_ranges or {}).items():
        if col not in frame.columns:
            continue
        values = frame[col]
        if not pd.api.types.is_numeric_dtype(values):
            raise DataContractError(source, col, f"objective must be numeric, got dtype {values.dtype}",
                                    len(values), values.head(5).tolist())
        arr = values.to_numpy(dtype=float)
        bad = ~np.isnan(arr) & ((arr < low) | (arr > high))
        if bad.any():
            n, ex = offending(frame, bad, col)
            raise DataContractError(source, col, f"objective outside its range [{low}, {high}]", n, ex)
    return frame
