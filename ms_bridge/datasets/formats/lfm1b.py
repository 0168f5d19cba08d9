"""LFM-1b listening events (`LFM-1b_LEs.txt`), the stand-in for MLHD.

Tab-separated, no header: `user-id, artist-id, album-id, track-id, unix-time`.
The file lists each user's events newest first; the table comes back in time
order (stable, so equal timestamps keep their file order).

Objectives (SPEC §5, `docs/data_formats.md`): `is_skip`, `is_finish`,
`pct_listening` by the gap rule with durations from `durations` when given,
else each track's median gap capped at 600 s; `new_fan`, `recurring_fan`,
`num_times_listening` from history. Sessions: 5 minutes of inactivity.

Example:
>>> frame = read("LFM-1b_LEs.txt")                          # doctest: +SKIP
>>> frame.columns[:6].tolist()                               # doctest: +SKIP
['user_id', 'artist_id', 'album_id', 'item_id', 'timestamp', 'session_id']
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ms_bridge.datasets.formats import _common, _derive

COLUMNS = ("user_id", "artist_id", "album_id", "item_id", "timestamp")
OBJECTIVES = ("pct_listening", "is_finish", "is_skip", "new_fan", "recurring_fan", "num_times_listening")
SPEC = "mlhd"


def read(path: _common.PathLike, durations: Any = None, session_gap: int = 300) -> pd.DataFrame:
    """Reads an LFM-1b listening-events file into an interaction table.

    Args:
        path: `LFM-1b_LEs.txt` (or any file in its format).
        durations: optional track durations in seconds: a {track_id: seconds}
            mapping, a Series, a DataFrame or a CSV/TSV/Parquet file with
            `track_id` (or `item_id`) and `duration` (or `duration_ms`).
        session_gap: seconds of inactivity that end a session.

    Returns:
        `user_id, artist_id, album_id, item_id` (int64), `timestamp` (int64
        UTC seconds), `session_id`, and the objectives in `OBJECTIVES`.
    """
    if session_gap <= 0:
        raise ValueError(f"session_gap must be positive, got {session_gap}")
    source = _common.source_name(path)
    raw = _common.read_delimited(path, sep="\t", names=COLUMNS)
    frame = pd.DataFrame({
        "user_id": _common.parse_int(raw, "user_id", source),
        "artist_id": _common.parse_int(raw, "artist_id", source),
        "album_id": _common.parse_int(raw, "album_id", source, allow_missing=True),
        "item_id": _common.parse_int(raw, "item_id", source),
        "timestamp": _common.parse_timestamps(raw, "timestamp", "unix", source),
    })
    _common.finish(frame, source, ())
    frame = _derive.scrobble_objectives(_common.stable_time_order(frame), session_gap,
                                        _common.load_durations(durations))
    return _common.finish(frame, source, OBJECTIVES)
