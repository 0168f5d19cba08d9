"""Last.fm-1K (`userid-timestamp-artid-artname-traid-traname.tsv`), a second MLHD format.

Tab-separated, no header: `userid, timestamp (ISO 8601 UTC), artist MBID,
artist name, track MBID, track name`. Names may contain quotes, so fields are
read verbatim (no CSV quoting).

Ids: MusicBrainz ids are often empty. With `ids="mbid"` (default) an empty
artist MBID falls back to `name:<artist name>` and an empty track MBID to
`name:<artist name>\\x1f<track name>` (the artist part keeps two artists' songs
of the same title apart); `ids="name"` uses the names for every row. A row with
neither MBID nor name has a missing id and is refused.

Objectives: as `lfm1b` (gap rule, fans, num_times).

Example:
>>> frame = read("userid-timestamp-artid-artname-traid-traname.tsv")  # doctest: +SKIP
>>> frame.loc[0, ["user_id", "artist_id"]].tolist()                   # doctest: +SKIP
['user_000001', 'a7f7df4a-77d8-4f12-8acd-5c60c93f4de8']
"""

from __future__ import annotations

import csv
from typing import Any

import pandas as pd

from ms_bridge.datasets.formats import _common, _derive

COLUMNS = ("user_id", "timestamp", "artist_mbid", "artist_name", "track_mbid", "track_name")
OBJECTIVES = ("pct_listening", "is_finish", "is_skip", "new_fan", "recurring_fan", "num_times_listening")
SPEC = "mlhd"
ID_MODES = ("mbid", "name")
_SEP = "\x1f"  # unit separator: cannot occur in a tab-separated name


def _name_ids(artist_name: pd.Series, track_name: pd.Series) -> tuple[pd.Series, pd.Series]:
    artist = "name:" + artist_name
    return artist, artist + _SEP + track_name


def read(path: _common.PathLike, ids: str = "mbid", durations: Any = None, session_gap: int = 300) -> pd.DataFrame:
    """Reads a Last.fm-1K listening log into an interaction table.

    Args:
        path: the TSV file.
        ids: `mbid` (MusicBrainz ids, names where empty) or `name`.
        durations: optional track durations, keyed by the resulting `item_id`
            (see `lfm1b.read`).
        session_gap: seconds of inactivity that end a session.

    Returns:
        `user_id, item_id, artist_id` (str), `timestamp`, `session_id`, the raw
        MBID and name columns, and the objectives in `OBJECTIVES`.
    """
    if ids not in ID_MODES:
        raise ValueError(f"ids must be one of {ID_MODES}, got {ids!r}")
    if session_gap <= 0:
        raise ValueError(f"session_gap must be positive, got {session_gap}")
    source = _common.source_name(path)
    raw = _common.read_delimited(path, sep="\t", names=COLUMNS, quoting=csv.QUOTE_NONE)
    _common.require_present(raw, "user_id", source)
    artist_by_name, item_by_name = _name_ids(raw["artist_name"], raw["track_name"])
    if ids == "mbid":
        artist_id = raw["artist_mbid"].fillna(artist_by_name)
        item_id = raw["track_mbid"].fillna(item_by_name)
    else:
        artist_id, item_id = artist_by_name, item_by_name
    frame = pd.DataFrame({
        "user_id": raw["user_id"],
        "item_id": item_id,
        "artist_id": artist_id,
        "timestamp": _common.parse_timestamps(raw, "timestamp", "iso", source),
        "artist_mbid": raw["artist_mbid"],
        "artist_name": raw["artist_name"],
        "track_mbid": raw["track_mbid"],
        "track_name": raw["track_name"],
    })
    _common.finish(frame, source, ())
    frame = _derive.scrobble_objectives(_common.stable_time_order(frame), session_gap,
                                        _common.load_durations(durations))
    return _common.finish(frame, source, OBJECTIVES)
