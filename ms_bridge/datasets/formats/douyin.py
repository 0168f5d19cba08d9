"""ICME-2019 Douyin short-video log, a stand-in for Alibaba-Youku with creator ids.

Tab-separated, no header: `uid, user_city, item_id, author_id, item_city,
channel, finish, like, music_id, device, time, duration_time`. The creator
(`author_id`) is the artist. `time` is an integer in seconds on the
challenge's own (shifted) clock: gaps and order are real, dates are not.

The log has `finish` and `like` but no watch time (SPEC §6, known gaps), so
the user objectives follow a `watch_rule` (`docs/data_formats.md`):
- `"finish"` (default): `video_view` = finish; `play_rate` = finish;
  `time_spent` = finish * duration_time. An unfinished play counts as no view
  and 0 s: a lower bound, since its true watch time is unknown.
- `"strict"`: every row is a play, `video_view` = 1; `time_spent` =
  duration_time and `play_rate` = 1 where finished, unknown (NaN) otherwise.

`feedback_type` = `like` (1 or 0; the log has no dislikes), an extra column
outside the `youku` spec.

`relevance` and `novelty` need item embeddings: given as `item_embeddings`,
or built from the items' side fields with `embeddings="side_fields"`
(one-hot `channel`, z-scored log1p `duration_time`); otherwise unknown (NaN).

Example:
>>> frame = read("byterec_sample_1000.txt", embeddings="side_fields")  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ms_bridge.datasets.contract import DataContractError
from ms_bridge.datasets.formats import _common, _derive

COLUMNS = ("user_id", "user_city", "item_id", "artist_id", "item_city", "channel", "finish", "like",
           "music_id", "device", "timestamp", "duration_time")
OBJECTIVES = ("video_view", "time_spent", "play_rate", "relevance", "novelty", "feedback_type")
SPEC = "youku"
WATCH_RULES = ("finish", "strict")
EMBEDDING_SOURCES = ("none", "side_fields")
SIDE_CATEGORICAL = ("channel",)
SIDE_NUMERIC = ("duration_time",)


def watch_objectives(finish: np.ndarray, duration: np.ndarray, rule: str) -> pd.DataFrame:
    """`video_view`, `time_spent`, `play_rate` from the finish flag under `rule`.

    Example:
    >>> watch_objectives(np.array([1.0, 0.0]), np.array([10.0, 20.0]), "finish")["time_spent"].tolist()
    [10.0, 0.0]
    """
    if rule not in WATCH_RULES:
        raise ValueError(f"watch_rule must be one of {WATCH_RULES}, got {rule!r}")
    finish = np.asarray(finish, dtype=float)
    duration = np.asarray(duration, dtype=float)
    if rule == "finish":
        return pd.DataFrame({"video_view": finish, "time_spent": finish * duration, "play_rate": finish})
    done = finish == 1
    return pd.DataFrame({"video_view": np.ones_like(finish),
                         "time_spent": np.where(done, duration, np.nan),
                         "play_rate": np.where(done, 1.0, np.nan)})


def read(path: _common.PathLike, watch_rule: str = "finish", embeddings: str = "none",
         item_embeddings: Any = None, session_gap: int = 300) -> pd.DataFrame:
    """Reads an ICME-2019 Douyin log into an interaction table.

    Args:
        path: the tab-separated log.
        watch_rule: `finish` or `strict` (module docstring).
        embeddings: `none` or `side_fields`; ignored when `item_embeddings` is given.
        item_embeddings: optional item vectors (DataFrame indexed by item id,
            mapping, or CSV/Parquet with `item_id` first) for relevance/novelty.
        session_gap: seconds of inactivity that end a session.

    Returns:
        the twelve log fields (`uid` -> `user_id`, `author_id` -> `artist_id`,
        `time` -> `timestamp`; all int64), `session_id`, `has_history` when
        embeddings exist, and the objectives in `OBJECTIVES`.
    """
    if watch_rule not in WATCH_RULES:
        raise ValueError(f"watch_rule must be one of {WATCH_RULES}, got {watch_rule!r}")
    if embeddings not in EMBEDDING_SOURCES:
        raise ValueError(f"embeddings must be one of {EMBEDDING_SOURCES}, got {embeddings!r}")
    if session_gap <= 0:
        raise ValueError(f"session_gap must be positive, got {session_gap}")
    source = _common.source_name(path)
    raw = _common.read_delimited(path, sep="\t", names=COLUMNS)
    frame = pd.DataFrame(index=raw.index)
    for col in COLUMNS:
        if col == "timestamp":
            frame[col] = _common.parse_timestamps(raw, col, "unix", source)
        else:
            frame[col] = _common.parse_int(raw, col, source)
    for flag in ("finish", "like"):
        bad = ~frame[flag].isin([0, 1]).to_numpy()
        if bad.any():
            raise DataContractError(source, flag, "flag must be 0 or 1", int(bad.sum()),
                                    frame.loc[bad, flag].head(5).tolist())
    bad = (frame["duration_time"] < 0).to_numpy()
    if bad.any():
        raise DataContractError(source, "duration_time", "negative duration", int(bad.sum()),
                                frame.loc[bad, "duration_time"].head(5).tolist())
    _common.finish(frame, source, ())
    frame = _common.stable_time_order(frame)
    frame = _derive.sessions(frame, session_gap)
    watched = watch_objectives(frame["finish"].to_numpy(), frame["duration_time"].to_numpy(), watch_rule)
    _common.set_objectives(frame, watched, _derive.VIEW_OBJECTIVES)
    frame = _derive.feedback(frame, like="like", dislike="dislike")
    if item_embeddings is not None:
        frame = _derive.video(frame, _common.load_embeddings(item_embeddings))
    elif embeddings == "side_fields":
        vectors = _common.item_side_embeddings(frame, SIDE_CATEGORICAL, SIDE_NUMERIC)
        frame = _derive.video(frame, vectors)
    return _common.finish(frame, source, OBJECTIVES)
