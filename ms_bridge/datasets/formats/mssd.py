"""Spotify Music Streaming Sessions Dataset (`log_*.csv`, optional `tf_*.csv`).

The log has no user and no artist ids (SPEC §6, known gaps): each listening
session stands for its user (`user_id` = the session id string) and every row
gets the artist `UNKNOWN_ARTIST` unless an `artists` table maps tracks to
artists. Time: `date` (`YYYY-MM-DD` or `DD-MM-YY`, per row) plus
`hour_of_day`, so rows are ordered by (timestamp, session_position).

Objectives:
- `pct_listening` from the skip flags (`skip_1, skip_2, skip_3, not_skipped`
  -> 0.05, 0.25, 0.75, 1.0; SPEC §5);
- `num_times_listening`: earlier plays of the track within the session (the
  only history the log has);
- `feedback_type`: unknown (no thumbs field);
- `in_playlist`: unknown, or with `in_playlist_from_context=True` the proxy
  `context_type == "user_collection"` (played from the listener's own
  collection);
- `new_fan`, `recurring_fan`: unknown without an `artists` table.

Example:
>>> frame = read("log_mini.csv", track_features="tf_mini.csv")  # doctest: +SKIP
"""

from __future__ import annotations

import os
import re
from typing import Any

import numpy as np
import pandas as pd

from ms_bridge.datasets.contract import DataContractError
from ms_bridge.datasets.formats import _common, _derive

SKIP_COLUMNS = ("skip_1", "skip_2", "skip_3", "not_skipped")
BOOL_COLUMNS = SKIP_COLUMNS + ("hist_user_behavior_is_shuffle", "premium")
INT_COLUMNS = ("session_position", "session_length", "context_switch", "no_pause_before_play",
               "short_pause_before_play", "long_pause_before_play", "hist_user_behavior_n_seekfwd",
               "hist_user_behavior_n_seekback", "hour_of_day")
REQUIRED = ("session_id", "session_position", "track_id_clean", "date", "hour_of_day") + SKIP_COLUMNS
OBJECTIVES = ("pct_listening", "num_times_listening", "feedback_type", "in_playlist", "new_fan", "recurring_fan")
SPEC = "spotify_sessions"

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SHORT_DATE = re.compile(r"^\d{2}-\d{2}-\d{2}$")


def parse_dates(raw: pd.DataFrame, source: str) -> np.ndarray:
    """Midnight UTC seconds of each `date`, written `YYYY-MM-DD` or `DD-MM-YY`."""
    text = raw["date"].astype(str).str.strip()
    iso = text.str.match(_ISO_DATE).to_numpy()
    short = text.str.match(_SHORT_DATE).to_numpy()
    parsed = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[s, UTC]")
    if iso.any():
        parsed[iso] = pd.to_datetime(text[iso], format="%Y-%m-%d", utc=True, errors="coerce")
    if short.any():
        parsed[short] = pd.to_datetime(text[short], format="%d-%m-%y", utc=True, errors="coerce")
    bad = parsed.isna().to_numpy()
    if bad.any():
        raise DataContractError(source, "date", "date not parseable as YYYY-MM-DD or DD-MM-YY",
                                int(bad.sum()), raw.loc[bad, "date"].head(5).tolist())
    return _common.datetime_to_seconds(parsed)


def _track_features(path: _common.PathLike, tracks: pd.Series) -> tuple[pd.DataFrame, int]:
    source = _common.source_name(path)
    table = _common.read_table(path)
    _common.require(table, ["track_id"], source)
    dup = table["track_id"].duplicated().to_numpy()
    if dup.any():
        raise DataContractError(source, "track_id", "duplicate track ids", int(dup.sum()),
                                table.loc[dup, "track_id"].head(5).tolist())
    features = {}
    for col in table.columns.drop("track_id"):
        numbers = pd.to_numeric(table[col], errors="coerce")
        numeric = numbers.notna() | table[col].isna()
        features[col] = (numbers.astype(float) if numeric.all() else table[col]).to_numpy()
    features = pd.DataFrame(features, index=pd.Index(table["track_id"]))
    joined = features.reindex(tracks.to_numpy())
    joined.index = tracks.index
    unmatched = int((~tracks.isin(features.index)).sum())
    return joined, unmatched


def _artists(artists: Any, tracks: pd.Series) -> pd.Series:
    if isinstance(artists, (str, os.PathLike)):
        source = _common.source_name(artists)
        table = _common.read_table(artists)
    elif isinstance(artists, pd.DataFrame):
        source, table = "artists", artists
    else:
        raise ValueError(f"artists must be a path or DataFrame, got {type(artists)}")
    _common.require(table, ["track_id", "artist_id"], source)
    mapping = table.drop_duplicates("track_id").set_index("track_id")["artist_id"]
    return tracks.map(mapping)


def read(path: _common.PathLike, track_features: _common.PathLike | None = None, artists: Any = None,
         in_playlist_from_context: bool = False) -> pd.DataFrame:
    """Reads an MSSD session log into an interaction table.

    Args:
        path: a `log_*.csv` file.
        track_features: optional `tf_*.csv`; its columns join on
            `track_id_clean` as side features (`frame.attrs["report"]` counts
            rows without a match; they keep NaN features).
        artists: optional table (path or DataFrame) with `track_id`,
            `artist_id`; then `new_fan`/`recurring_fan` are computed (within
            each session, the only user history there is).
        in_playlist_from_context: derive `in_playlist` from `context_type`
            (see the module docstring); off by default (unknown).

    Returns:
        `user_id` (= session id), `item_id` (= track id), `artist_id`,
        `timestamp`, `session_id` (int64), the raw log fields (booleans as
        bool) and the objectives in `OBJECTIVES`.
    """
    source = _common.source_name(path)
    raw = _common.read_delimited(path, sep=",", header=True)
    _common.require(raw, REQUIRED, source)
    for col in ("session_id", "track_id_clean"):
        _common.require_present(raw, col, source)
    frame = pd.DataFrame(index=raw.index)
    frame["user_id"] = raw["session_id"]
    frame["item_id"] = raw["track_id_clean"]
    frame["artist_id"] = _common.UNKNOWN_ARTIST
    hours = _common.parse_int(raw, "hour_of_day", source)
    bad_hour = ((hours < 0) | (hours > 23)).to_numpy()
    if bad_hour.any():
        raise DataContractError(source, "hour_of_day", "hour outside 0..23", int(bad_hour.sum()),
                                raw.loc[bad_hour, "hour_of_day"].head(5).tolist())
    frame["timestamp"] = parse_dates(raw, source) + hours.to_numpy() * 3600
    for col in raw.columns:
        if col in ("session_id", "track_id_clean"):
            continue
        if col in BOOL_COLUMNS:
            frame[col] = _common.parse_bool(raw, col, source)
        elif col in INT_COLUMNS:
            frame[col] = _common.parse_int(raw, col, source)
        elif col != "date":
            frame[col] = raw[col]
    frame["date"] = raw["date"]
    report = {}
    if artists is not None:
        mapped = _artists(artists, raw["track_id_clean"])
        report["tracks_without_artist"] = int(mapped.isna().sum())
        frame["artist_id"] = mapped.fillna(_common.UNKNOWN_ARTIST)
    if track_features is not None:
        features, unmatched = _track_features(track_features, raw["track_id_clean"])
        for col in features.columns:
            frame[col if col not in frame.columns else f"track_{col}"] = features[col].to_numpy()
        report["rows_without_track_features"] = unmatched
    _common.finish(frame, source, ())
    # Sessions come from the log; codes follow first appearance in the file.
    frame["session_id"] = pd.factorize(frame["user_id"])[0].astype(np.int64)
    frame = _common.stable_time_order(frame, ("timestamp", "session_position"))
    frame = _derive.mssd_listening(frame)
    frame = _derive.num_times(frame)
    if in_playlist_from_context and "context_type" in frame.columns:
        frame = _derive.playlist_from_values(frame, "context_type", ("user_collection",))
    if artists is not None:
        frame = _derive.fans(frame)
        unknown = (frame["artist_id"] == _common.UNKNOWN_ARTIST).to_numpy()
        frame.loc[unknown, ["new_fan", "recurring_fan"]] = np.nan
    frame.attrs["report"] = report
    return _common.finish(frame, source, OBJECTIVES)
