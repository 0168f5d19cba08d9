"""KuaiRand-style video logs (`log_*.csv`, or the joined sample), a second `youku` format.

Comma-separated with a header holding at least `user_id`, `video_id`,
`is_click`, `play_time_ms`, `duration_ms`. Every other column is kept as a
raw field (numeric where it parses).

- Creator: `author_id` when the file has it, else the `creators` table
  (`video_id`, `author_id`), else every row gets `UNKNOWN_ARTIST` (the shared
  sample dropped the creator). Relevance and novelty are properties of the
  (user, video) pair and do not need the creator.
- Time: `time_ms` (milliseconds) when present, else `date` (`YYYYMMDD`) plus
  `hourmin` (`HHMM`), else none: with `missing_time="row_order"` (default) the
  timestamp is the row's position (0, 1, ...), an order, not a clock; a
  warning says so and `frame.attrs["report"]["timestamp"]` records it.
  `missing_time="error"` refuses such a file.
- `video_view` = is_click; `time_spent` = play_time_ms / 1000 where clicked,
  0 otherwise (SPEC §5: feed autoplay without a click is not a view; the raw
  `play_time_ms` stays); `play_rate` = time_spent / duration clipped to [0, 1],
  unknown where the duration is 0.
- `relevance`, `novelty`: from `item_embeddings`, or with
  `embeddings="side_fields"` from one-hot `video_type` and z-scored log1p
  `duration_ms`, `server_width`, `server_height` (those present); else unknown.

Example:
>>> frame = read("kuairand_sample.csv")  # doctest: +SKIP
"""

from __future__ import annotations

import os
import warnings
from typing import Any

import numpy as np
import pandas as pd

from ms_bridge.datasets.contract import DataContractError
from ms_bridge.datasets.formats import _common, _derive

REQUIRED = ("user_id", "video_id", "is_click", "play_time_ms", "duration_ms")
OBJECTIVES = ("video_view", "time_spent", "play_rate", "relevance", "novelty")
SPEC = "youku"
MISSING_TIME = ("row_order", "error")
EMBEDDING_SOURCES = ("none", "side_fields")
SIDE_CATEGORICAL = ("video_type",)
SIDE_NUMERIC = ("duration_ms", "server_width", "server_height")


def _timestamps(raw: pd.DataFrame, source: str, missing_time: str) -> tuple[np.ndarray, str]:
    if "time_ms" in raw.columns:
        return _common.parse_timestamps(raw, "time_ms", "unix_ms", source).to_numpy(), "time_ms"
    if "date" in raw.columns and "hourmin" in raw.columns:
        hourmin = _common.parse_int(raw, "hourmin", source)
        text = raw["date"].astype(str).str.strip() + hourmin.astype(str).str.zfill(4)
        stamped = pd.DataFrame({"date": text.where(raw["date"].notna(), None)})
        return _common.parse_timestamps(stamped, "date", "%Y%m%d%H%M", source).to_numpy(), "date+hourmin"
    if missing_time == "error":
        raise DataContractError(source, "time_ms", "no time column (time_ms, or date and hourmin)")
    warnings.warn(f"{source}: no time column (time_ms, or date and hourmin); timestamps are row positions",
                  stacklevel=3)
    return np.arange(len(raw), dtype=np.int64), "row_order"


def _creators(creators: Any, videos: pd.Series) -> pd.Series:
    if isinstance(creators, (str, os.PathLike)):
        source, table = _common.source_name(creators), _common.read_table(creators)
    elif isinstance(creators, pd.DataFrame):
        source, table = "creators", creators
    else:
        raise ValueError(f"creators must be a path or DataFrame, got {type(creators)}")
    _common.require(table, ["video_id", "author_id"], source)
    keys = pd.to_numeric(table["video_id"], errors="coerce")
    mapping = pd.Series(table["author_id"].to_numpy(), index=keys)
    mapping = mapping[~mapping.index.duplicated()]
    return videos.map(mapping)


def read(path: _common.PathLike, creators: Any = None, missing_time: str = "row_order",
         embeddings: str = "none", item_embeddings: Any = None, session_gap: int = 300) -> pd.DataFrame:
    """Reads a KuaiRand-style CSV into an interaction table.

    Args:
        path: the CSV file.
        creators: optional path or DataFrame with `video_id`, `author_id`.
        missing_time: `row_order` or `error` when the file has no time column.
        embeddings: `none` or `side_fields`; ignored when `item_embeddings` is given.
        item_embeddings: optional item vectors for relevance/novelty.
        session_gap: seconds of inactivity that end a session.

    Returns:
        `user_id`, `item_id` (= video_id), `artist_id`, `timestamp`,
        `session_id`, the raw columns and the objectives in `OBJECTIVES`.
    """
    if missing_time not in MISSING_TIME:
        raise ValueError(f"missing_time must be one of {MISSING_TIME}, got {missing_time!r}")
    if embeddings not in EMBEDDING_SOURCES:
        raise ValueError(f"embeddings must be one of {EMBEDDING_SOURCES}, got {embeddings!r}")
    if session_gap <= 0:
        raise ValueError(f"session_gap must be positive, got {session_gap}")
    source = _common.source_name(path)
    raw = _common.read_delimited(path, sep=",", header=True)
    _common.require(raw, REQUIRED, source)
    frame = pd.DataFrame(index=raw.index)
    frame["user_id"] = _common.parse_int(raw, "user_id", source)
    frame["item_id"] = _common.parse_int(raw, "video_id", source)
    timestamps, time_source = _timestamps(raw, source, missing_time)
    frame["timestamp"] = timestamps
    for col in raw.columns:
        if col in ("user_id", "video_id") or col in frame.columns:
            continue
        if col in ("is_click", "play_time_ms", "duration_ms"):
            frame[col] = _common.parse_float(raw, col, source)
            continue
        numbers = pd.to_numeric(raw[col], errors="coerce")
        frame[col] = numbers if (numbers.notna() | raw[col].isna()).all() else raw[col]
    bad = ~frame["is_click"].isin([0, 1]).to_numpy()
    if bad.any():
        raise DataContractError(source, "is_click", "flag must be 0 or 1", int(bad.sum()),
                                raw.loc[bad, "is_click"].head(5).tolist())
    if "author_id" in frame.columns:
        frame["artist_id"] = frame.pop("author_id")
        artist_source = "author_id"
    elif creators is not None:
        frame["artist_id"] = _creators(creators, frame["item_id"]).fillna(_common.UNKNOWN_ARTIST)
        artist_source = "creators"
    else:
        frame["artist_id"] = _common.UNKNOWN_ARTIST
        artist_source = "unknown"
    _common.finish(frame, source, ())
    frame = _common.stable_time_order(frame)
    frame = _derive.sessions(frame, session_gap)
    views = _derive.view_objectives(frame["is_click"], frame["play_time_ms"] / 1000.0, frame["duration_ms"] / 1000.0)
    _common.set_objectives(frame, views, _derive.VIEW_OBJECTIVES)
    if item_embeddings is not None:
        frame = _derive.video(frame, _common.load_embeddings(item_embeddings))
    elif embeddings == "side_fields":
        numeric = [c for c in SIDE_NUMERIC if c in frame.columns]
        categorical = [c for c in SIDE_CATEGORICAL if c in frame.columns]
        frame = _derive.video(frame, _common.item_side_embeddings(frame, categorical, numeric))
    frame.attrs["report"] = {"timestamp": time_source, "artist_id": artist_source}
    return _common.finish(frame, source, OBJECTIVES)
