"""The objective rules the readers apply, each a thin call into `ms_bridge.objectives`.

The readers decide *which* rule applies to a format; `ms_bridge.objectives`
computes it (vectorised, past only). The rules that belong to a format's
fields rather than to history (KuaiRand clicks, Douyin `finish`) live here.

Example:
>>> import pandas as pd
>>> f = pd.DataFrame({"click": [1, 0], "play_s": [30.0, 5.0], "duration_s": [60.0, 60.0]})
>>> view_objectives(f["click"], f["play_s"], f["duration_s"])["play_rate"].tolist()
[0.5, 0.0]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ms_bridge import objectives as obj
from ms_bridge.datasets.formats._common import set_objectives

GAP_OBJECTIVES = ("is_skip", "is_finish", "pct_listening")
FAN_OBJECTIVES = ("new_fan", "recurring_fan")
VIEW_OBJECTIVES = ("video_view", "time_spent", "play_rate")
VIDEO_OBJECTIVES = ("relevance", "novelty")


def sessions(frame: pd.DataFrame, gap_seconds: int = 300) -> pd.DataFrame:
    """Adds `session_id` (5-minute inactivity rule) unless the format gave one."""
    if "session_id" in frame.columns:
        return frame
    result = obj.assign_sessions(frame, gap_seconds=gap_seconds)
    if isinstance(result, pd.DataFrame):
        frame["session_id"] = result["session_id"].to_numpy(dtype=np.int64)
    else:
        frame["session_id"] = np.asarray(result, dtype=np.int64)
    return frame


def fans(frame: pd.DataFrame) -> pd.DataFrame:
    """`new_fan`, `recurring_fan` (eq. 15-16)."""
    return set_objectives(frame, obj.fan_objectives(frame), FAN_OBJECTIVES)


def num_times(frame: pd.DataFrame) -> pd.DataFrame:
    """`num_times_listening`: earlier plays of the same item by the same user."""
    return set_objectives(frame, obj.num_times_listening(frame), ("num_times_listening",))


def gaps(frame: pd.DataFrame, durations: pd.Series | None = None) -> pd.DataFrame:
    """`is_skip`, `is_finish`, `pct_listening` by the Last.fm gap rule (SPEC §5)."""
    return set_objectives(frame, obj.gap_objectives(frame, durations=durations), GAP_OBJECTIVES)


def mssd_listening(frame: pd.DataFrame) -> pd.DataFrame:
    """`pct_listening` from the MSSD skip flags (0.05 / 0.25 / 0.75 / 1.0)."""
    return set_objectives(frame, obj.mssd_pct_listening(frame), ("pct_listening",))


def feedback(frame: pd.DataFrame, like: str = "like", dislike: str = "dislike") -> pd.DataFrame:
    """`feedback_type` in {-1, 0, 1} from like / dislike flags (either may be absent)."""
    return set_objectives(frame, obj.feedback_type(frame, like, dislike), ("feedback_type",))


def playlist_from_values(frame: pd.DataFrame, source: str, values: tuple) -> pd.DataFrame:
    """`in_playlist` = 1 where column `source` takes one of `values` (NaN where it is missing)."""
    return set_objectives(frame, obj.in_playlist(frame, source, values), ("in_playlist",))


def video(frame: pd.DataFrame, item_embeddings: pd.DataFrame) -> pd.DataFrame:
    """`relevance`, `novelty` (+ `has_history`) from item embeddings and the user's history."""
    return set_objectives(frame, obj.video_objectives(frame, item_embeddings), VIDEO_OBJECTIVES)


def view_objectives(click: Any, play_seconds: Any, duration_seconds: Any) -> pd.DataFrame:
    """The Youku-style user objectives from a click flag, watch time and video duration.

    `video_view` = click; `time_spent` = watch time in seconds where clicked,
    0 without a click (SPEC §5); `play_rate` = time_spent / duration clipped to
    [0, 1], 0 without a click, unknown (NaN) where a clicked video has no
    positive duration. Unknown inputs stay unknown.
    """
    click = np.asarray(click, dtype=float)
    play = np.asarray(play_seconds, dtype=float)
    duration = np.asarray(duration_seconds, dtype=float)
    clicked = click == 1
    time_spent = np.where(clicked, play, 0.0)
    time_spent[np.isnan(click)] = np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(duration > 0, np.clip(time_spent / duration, 0.0, 1.0), np.nan)
    play_rate = np.where(clicked, rate, 0.0)
    play_rate[np.isnan(click) | (clicked & np.isnan(time_spent))] = np.nan
    return pd.DataFrame({"video_view": click, "time_spent": time_spent, "play_rate": play_rate})


def scrobble_objectives(frame: pd.DataFrame, session_gap: int, durations) -> pd.DataFrame:
    """Sessions, the Last.fm gap rule, fan objectives and replays: what every scrobble log gets."""
    frame = sessions(frame, session_gap)
    frame = gaps(frame, durations)
    return num_times(fans(frame))
