"""Per-interaction objectives derived from raw fields and the past (SPEC §5).

Every function takes an interaction table (`user_id`, `item_id`, `artist_id`,
`timestamp` in integer UTC seconds, optionally `session_id`), never reorders
or modifies it, and returns new column(s) aligned with `frame.index`.
Events are ordered by (timestamp, row position in the input): of two events
with the same timestamp, the one higher up in the frame happened first.
History-based values use only events strictly before the current one.

Example:
>>> import pandas as pd
>>> log = pd.DataFrame({"user_id": [1, 1, 1], "item_id": [7, 8, 7],
...                     "artist_id": [3, 3, 3], "timestamp": [0, 100_000, 180_000]})
>>> fan_objectives(log).round(4).to_dict("list")
{'new_fan': [1.0, 0.6065, 0.5134], 'recurring_fan': [1.0, 0.6065, 0.1353]}
>>> num_times_listening(log).tolist()
[0.0, 0.0, 1.0]
"""

from __future__ import annotations

from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

SECONDS_PER_DAY = 86_400
#: MSSD skip flags in the order they are checked, with the %Listening each one maps to.
MSSD_SKIP_LEVELS = (("skip_1", 0.05), ("skip_2", 0.25), ("skip_3", 0.75), ("not_skipped", 1.0))
_TRUE_STRINGS = frozenset({"true", "t", "1", "yes", "y"})
_FALSE_STRINGS = frozenset({"false", "f", "0", "no", "n", ""})
_CHUNK_ROWS = 1 << 18


# --------------------------------------------------------------------------- helpers


def _require(frame: pd.DataFrame, columns: Iterable[str], where: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"{where}: expected a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{where}: missing column(s) {missing}; present: {list(frame.columns)}")


def _timestamps(frame: pd.DataFrame) -> np.ndarray:
    """`timestamp` as int64 seconds (datetime64 columns are converted)."""
    ts = frame["timestamp"]
    if pd.api.types.is_datetime64_any_dtype(ts):
        if ts.isna().any():
            raise ValueError(f"timestamp: {int(ts.isna().sum())} missing values (NaT)")
        return (ts.astype("datetime64[s]").astype("int64")).to_numpy()
    if not pd.api.types.is_integer_dtype(ts):
        raise ValueError(f"timestamp must be integer UTC seconds, got dtype {ts.dtype}; "
                         f"first values {ts.head(3).tolist()}")
    return ts.to_numpy(dtype=np.int64)


def _codes(values: pd.Series | np.ndarray, name: str) -> tuple[np.ndarray, int]:
    """Dense int64 codes of any hashable values, and how many distinct there are."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if (codes < 0).any():
        raise ValueError(f"{name}: {int((codes < 0).sum())} missing (NaN) ids")
    return codes.astype(np.int64, copy=False), len(uniques)


def _pair_codes(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """One int64 key per (first, second) pair of dense non-negative codes."""
    return first * np.int64(int(second.max(initial=0)) + 1) + second


def _time_order(ts: np.ndarray) -> np.ndarray:
    """Positions sorted by (timestamp, row position)."""
    if len(ts) < 2 or bool(np.all(ts[1:] >= ts[:-1])):
        return np.arange(len(ts))
    return np.argsort(ts, kind="stable")


def _group_order(keys: np.ndarray, time_order: np.ndarray) -> np.ndarray:
    """Positions sorted by (key, timestamp, row position): a stable sort on top of time order."""
    return time_order[np.argsort(keys[time_order], kind="stable")]


def _group_starts(sorted_keys: np.ndarray) -> np.ndarray:
    """For each row of a key-sorted array, the index of the first row of its group."""
    n = len(sorted_keys)
    idx = np.arange(n)
    is_start = np.ones(n, dtype=bool)
    is_start[1:] = sorted_keys[1:] != sorted_keys[:-1]
    return np.maximum.accumulate(np.where(is_start, idx, 0))


def _scatter(values_sorted: np.ndarray, order: np.ndarray) -> np.ndarray:
    out = np.empty_like(values_sorted)
    out[order] = values_sorted
    return out


def _ceil_days(seconds: np.ndarray) -> np.ndarray:
    return np.maximum(1, -(-seconds // SECONDS_PER_DAY))


def _flag(values: pd.Series, name: str) -> np.ndarray:
    """Boolean view of a flag column: bool, 0/1 numbers (NaN = False) or 'True'/'False' strings."""
    if pd.api.types.is_bool_dtype(values):
        return values.fillna(False).to_numpy(dtype=bool)
    if pd.api.types.is_numeric_dtype(values):
        arr = values.to_numpy(dtype=float)
        bad = ~np.isnan(arr) & (arr != 0) & (arr != 1)
        if bad.any():
            raise ValueError(f"{name}: flag values must be 0/1, got {np.unique(arr[bad])[:5].tolist()}")
        return arr == 1
    text = values.astype("string").str.strip().str.lower()
    known = text.isna() | text.isin(_TRUE_STRINGS | _FALSE_STRINGS)
    if not known.all():
        raise ValueError(f"{name}: cannot read {text[~known].unique()[:5].tolist()} as true/false")
    return text.isin(_TRUE_STRINGS).fillna(False).to_numpy(dtype=bool)


def _sessions(frame: pd.DataFrame, gap_seconds: float) -> pd.Series:
    return frame["session_id"] if "session_id" in frame.columns else assign_sessions(frame, gap_seconds)


def _embedding_table(item_embeddings, item_index, frame: pd.DataFrame) -> tuple[np.ndarray, pd.Index | None]:
    """(matrix, index of item ids per row or None for 'item id = row number')."""
    if item_embeddings is None:
        item_embeddings = frame.attrs.get("item_embeddings")
        if item_embeddings is None:
            raise ValueError("item_embeddings is None and frame.attrs has no 'item_embeddings'")
    if isinstance(item_embeddings, pd.DataFrame):
        matrix, index = item_embeddings.to_numpy(dtype=np.float64), item_embeddings.index
    elif isinstance(item_embeddings, (pd.Series, Mapping)):
        series = item_embeddings if isinstance(item_embeddings, pd.Series) else pd.Series(
            list(item_embeddings.values()), index=list(item_embeddings.keys()), dtype=object)
        rows = [np.asarray(v, dtype=np.float64).ravel() for v in series.to_numpy()]
        if not rows or len({r.shape for r in rows}) != 1:
            raise ValueError("item_embeddings: vectors must be non-empty and all of the same length")
        matrix, index = np.stack(rows), pd.Index(series.index)
    else:
        matrix = np.asarray(item_embeddings, dtype=np.float64)
        index = None if item_index is None else pd.Index(
            item_index.index if isinstance(item_index, pd.Series) else list(item_index.keys()))
        if item_index is not None:
            positions = np.asarray(list(item_index.values) if isinstance(item_index, pd.Series)
                                   else list(item_index.values()), dtype=np.int64)
            matrix = matrix[positions]
    if matrix.ndim != 2 or matrix.shape[0] == 0:
        raise ValueError(f"item_embeddings: expected a non-empty 2-D table, got shape {matrix.shape}")
    if not np.isfinite(matrix).all():
        raise ValueError("item_embeddings: contains NaN or infinite values")
    return matrix, index


def _item_rows(frame: pd.DataFrame, item_embeddings, item_index) -> tuple[np.ndarray, np.ndarray]:
    """Embedding matrix and, for every event, the matrix row of its item."""
    matrix, index = _embedding_table(item_embeddings, item_index, frame)
    items = frame["item_id"]
    if index is None:
        if not pd.api.types.is_integer_dtype(items):
            raise ValueError("item_embeddings is a bare array, so item_id must be integer row numbers "
                             f"(or pass item_index); got dtype {items.dtype}")
        rows = items.to_numpy(dtype=np.int64)
        bad = (rows < 0) | (rows >= len(matrix))
    else:
        if not index.is_unique:
            raise ValueError("item_embeddings: item ids in the index are not unique")
        rows = index.get_indexer(items)
        bad = rows < 0
    if bad.any():
        raise ValueError(f"item_embeddings: no vector for {int(bad.sum())} events; first item ids "
                         f"{items[bad].unique()[:5].tolist()}")
    return matrix, rows.astype(np.int64, copy=False)


def _distances(matrix: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distance between matrix rows a[i] and b[i], in chunks to bound memory."""
    out = np.empty(len(a), dtype=np.float64)
    for lo in range(0, len(a), _CHUNK_ROWS):
        hi = lo + _CHUNK_ROWS
        out[lo:hi] = np.linalg.norm(matrix[a[lo:hi]] - matrix[b[lo:hi]], axis=1)
    return out


def _mean_distance_to_sets(matrix: np.ndarray, query: np.ndarray, members: np.ndarray,
                           start: np.ndarray, length: np.ndarray) -> np.ndarray:
    """Mean distance from row query[i] to rows members[start[i]:start[i]+length[i]] (NaN if empty)."""
    out = np.full(len(query), np.nan)
    has = np.flatnonzero(length > 0)
    if len(has) == 0:
        return out
    ends = np.cumsum(length[has])
    # split the queries so that each chunk expands to at most ~_CHUNK_ROWS pairs
    cuts = np.searchsorted(ends, np.arange(_CHUNK_ROWS, ends[-1], _CHUNK_ROWS), side="right")
    for part in np.split(np.arange(len(has)), np.unique(cuts)):
        if len(part) == 0:
            continue
        q = has[part]
        counts = length[q]
        first = np.repeat(start[q], counts)
        offset = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        dist = _distances(matrix, np.repeat(query[q], counts), members[first + offset])
        out[q] = np.add.reduceat(dist, np.cumsum(counts) - counts) / counts
    return out


# --------------------------------------------------------------------------- sessions


def assign_sessions(frame: pd.DataFrame, gap_seconds: float = 300) -> pd.Series:
    """Session ids: a user's new session starts after more than `gap_seconds` of inactivity.

    When `frame` already has a `session_id` column it is returned unchanged. Otherwise
    sessions are numbered 0, 1, ... in order of (user's first appearance, time), so ids
    are unique across users.

    Example:
    >>> log = pd.DataFrame({"user_id": ["a", "a", "a", "b"], "timestamp": [0, 300, 601, 0]})
    >>> assign_sessions(log).tolist()
    [0, 0, 1, 2]
    """
    _require(frame, ("user_id", "timestamp"), "assign_sessions")
    if not np.isfinite(gap_seconds) or gap_seconds < 0:
        raise ValueError(f"gap_seconds must be a non-negative number, got {gap_seconds!r}")
    if "session_id" in frame.columns:
        return frame["session_id"]
    ts = _timestamps(frame)
    users, _ = _codes(frame["user_id"], "user_id")
    order = _group_order(users, _time_order(ts))
    u_s, t_s = users[order], ts[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = (u_s[1:] != u_s[:-1]) | (np.diff(t_s) > gap_seconds)
    return pd.Series(_scatter(np.cumsum(new) - 1, order).astype(np.int64), index=frame.index,
                     name="session_id")


# --------------------------------------------------------------------------- history counts


def _history(keys: np.ndarray, ts: np.ndarray, time_order: np.ndarray | None = None):
    """Per event, in (key, time)-sorted order: order, plays before, first and previous play time."""
    order = _group_order(keys, _time_order(ts) if time_order is None else time_order)
    t_s = ts[order]
    starts = _group_starts(keys[order])
    n_before = np.arange(len(order)) - starts
    t_prev = np.empty_like(t_s)
    t_prev[0:1] = t_s[0:1]
    t_prev[1:] = t_s[:-1]
    return order, n_before, t_s, t_s[starts], t_prev


def fan_objectives(frame: pd.DataFrame) -> pd.DataFrame:
    """`new_fan` and `recurring_fan` (paper eq. 15-16 as SPEC §5 words them).

    With n = plays of any item of the artist by the user before this event,
    NewFan = exp(-n / d_first) and RecurringFan = exp(-n / d_last), where d_first and
    d_last are the days (rounded up, at least 1) since the user's first and latest
    earlier play of the artist; both are 1 when n = 0.

    Example:
    >>> log = pd.DataFrame({"user_id": [1, 1], "item_id": [5, 6], "artist_id": [2, 2],
    ...                     "timestamp": [0, 3 * 86_400 + 1]})
    >>> fan_objectives(log).round(4).to_dict("list")
    {'new_fan': [1.0, 0.7788], 'recurring_fan': [1.0, 0.7788]}
    """
    _require(frame, ("user_id", "artist_id", "timestamp"), "fan_objectives")
    if len(frame) == 0:
        return pd.DataFrame({"new_fan": [], "recurring_fan": []}, index=frame.index, dtype=np.float64)
    ts = _timestamps(frame)
    users, _ = _codes(frame["user_id"], "user_id")
    artists, _ = _codes(frame["artist_id"], "artist_id")
    order, n, t, t_first, t_last = _history(_pair_codes(users, artists), ts)
    seen = n > 0
    n_f = n.astype(np.float64)
    new_fan = np.where(seen, np.exp(-n_f / _ceil_days(t - t_first)), 1.0)
    recurring = np.where(seen, np.exp(-n_f / _ceil_days(t - t_last)), 1.0)
    return pd.DataFrame({"new_fan": _scatter(new_fan, order), "recurring_fan": _scatter(recurring, order)},
                        index=frame.index)


def num_times_listening(frame: pd.DataFrame) -> pd.Series:
    """Plays of the same item by the same user before this event (raw count, float64).

    Example:
    >>> log = pd.DataFrame({"user_id": [1, 1, 2, 1], "item_id": [5, 5, 5, 5], "timestamp": [9, 9, 9, 0]})
    >>> num_times_listening(log).tolist()
    [1.0, 2.0, 0.0, 0.0]
    """
    _require(frame, ("user_id", "item_id", "timestamp"), "num_times_listening")
    if len(frame) == 0:
        return pd.Series([], index=frame.index, dtype=np.float64, name="num_times_listening")
    ts = _timestamps(frame)
    users, _ = _codes(frame["user_id"], "user_id")
    items, _ = _codes(frame["item_id"], "item_id")
    order, n, *_ = _history(_pair_codes(users, items), ts)
    return pd.Series(_scatter(n.astype(np.float64), order), index=frame.index, name="num_times_listening")


# --------------------------------------------------------------------------- listening (Last.fm / MSSD)


def gap_objectives(frame: pd.DataFrame, durations: pd.Series | Mapping | None = None,
                   skip_seconds: float = 30, finish_ratio: float = 0.9, max_duration: float = 600,
                   *, session_gap_seconds: float = 300) -> pd.DataFrame:
    """`is_skip`, `is_finish`, `pct_listening` of scrobbles from the gap to the next scrobble.

    gap = time of the user's next scrobble minus this one, when that next scrobble is in
    the same session (`session_id`, or `assign_sessions(frame, session_gap_seconds)`);
    otherwise the gap, and all three outputs, are NaN (unknown). Track duration, in
    order of preference: `durations` (item_id -> seconds), the frame's `duration` column,
    else the track's median known gap capped at `max_duration` (also used for tracks
    missing from the table). Durations <= 0 count as unknown.

    is_skip = gap < skip_seconds; is_finish = gap >= finish_ratio * duration;
    pct_listening = min(gap / duration, 1).

    Example:
    >>> log = pd.DataFrame({"user_id": [1, 1, 1], "item_id": [7, 8, 7], "timestamp": [0, 20, 220]})
    >>> gap_objectives(log, durations={7: 200, 8: 100}).to_dict("list")
    {'is_skip': [1.0, 0.0, nan], 'is_finish': [0.0, 1.0, nan], 'pct_listening': [0.1, 1.0, nan]}
    """
    _require(frame, ("user_id", "item_id", "timestamp"), "gap_objectives")
    if not np.isfinite(skip_seconds) or skip_seconds < 0:
        raise ValueError(f"skip_seconds must be a non-negative number, got {skip_seconds!r}")
    if not 0 < finish_ratio <= 1:
        raise ValueError(f"finish_ratio must be in (0, 1], got {finish_ratio!r}")
    if not max_duration > 0:
        raise ValueError(f"max_duration must be positive, got {max_duration!r}")
    columns = ("is_skip", "is_finish", "pct_listening")
    if len(frame) == 0:
        return pd.DataFrame({c: [] for c in columns}, index=frame.index, dtype=np.float64)
    ts = _timestamps(frame)
    users, _ = _codes(frame["user_id"], "user_id")
    sessions, _ = _codes(_sessions(frame, session_gap_seconds), "session_id")
    order = _group_order(users, _time_order(ts))
    u_s, s_s, t_s = users[order], sessions[order], ts[order]
    gap_s = np.full(len(order), np.nan)
    has_next = (u_s[1:] == u_s[:-1]) & (s_s[1:] == s_s[:-1])
    gap_s[:-1] = np.where(has_next, (t_s[1:] - t_s[:-1]).astype(np.float64), np.nan)
    gap = _scatter(gap_s, order)

    items, _ = _codes(frame["item_id"], "item_id")
    median_gap = pd.Series(gap).groupby(items).median().reindex(np.arange(items.max() + 1))
    duration = np.minimum(median_gap.to_numpy(dtype=np.float64)[items], max_duration)
    given = None
    if durations is not None:
        table = durations if isinstance(durations, pd.Series) else pd.Series(dict(durations), dtype=float)
        given = frame["item_id"].map(table).to_numpy(dtype=np.float64)
    elif "duration" in frame.columns:
        given = pd.to_numeric(frame["duration"]).to_numpy(dtype=np.float64)
    if given is not None:
        duration = np.where(np.isnan(given), duration, given)
    duration = np.where(duration > 0, duration, np.nan)

    with np.errstate(invalid="ignore"):
        known = ~np.isnan(gap)
        is_skip = np.where(known, (gap < skip_seconds).astype(np.float64), np.nan)
        both = known & ~np.isnan(duration)
        is_finish = np.where(both, (gap >= finish_ratio * duration).astype(np.float64), np.nan)
        pct = np.where(both, np.minimum(gap / duration, 1.0), np.nan)
    return pd.DataFrame({"is_skip": is_skip, "is_finish": is_finish, "pct_listening": pct}, index=frame.index)


def mssd_pct_listening(frame: pd.DataFrame, none_value: float = np.nan) -> pd.Series:
    """%Listening from the MSSD skip flags: the first true of skip_1, skip_2, skip_3, not_skipped.

    They map to 0.05, 0.25, 0.75 and 1.0 (`MSSD_SKIP_LEVELS`). In MSSD a track skipped
    very briefly also has skip_2 and skip_3 set, so the earliest flag is the most precise.
    Rows with no flag set (skipped late, yet not played to the end) get `none_value`
    (NaN = unknown by default). Flags may be bool, 0/1 or 'True'/'False' strings.

    Example:
    >>> log = pd.DataFrame({"skip_1": [True, False, False, False], "skip_2": [True, True, False, False],
    ...                     "skip_3": [True, True, False, False], "not_skipped": [False, False, True, False]})
    >>> mssd_pct_listening(log).tolist()
    [0.05, 0.25, 1.0, nan]
    """
    names = [name for name, _ in MSSD_SKIP_LEVELS]
    _require(frame, names, "mssd_pct_listening")
    conditions = [_flag(frame[name], name) for name in names]
    values = np.select(conditions, [level for _, level in MSSD_SKIP_LEVELS], default=none_value)
    return pd.Series(values.astype(np.float64), index=frame.index, name="pct_listening")


def feedback_type(frame: pd.DataFrame, like: str = "like", dislike: str = "dislike") -> pd.Series:
    """FeedbackType in {-1, 0, 1}: 1 for a like, -1 for a dislike, 0 otherwise.

    Either column may be absent (a format with only likes gives {0, 1}), not both. A row
    with both flags set is contradictory and gets 0; a row whose present flags are all
    missing (NaN) is unknown (NaN).

    Example:
    >>> feedback_type(pd.DataFrame({"like": [1, 0, 0, None], "dislike": [0, 1, 0, None]})).tolist()
    [1.0, -1.0, 0.0, nan]
    """
    present = [c for c in (like, dislike) if c in frame.columns]
    if not present:
        raise ValueError(f"feedback_type: neither {like!r} nor {dislike!r} is a column; "
                         f"present: {list(frame.columns)}")
    score = np.zeros(len(frame))
    unknown = np.ones(len(frame), dtype=bool)
    for column, sign in ((like, 1.0), (dislike, -1.0)):
        if column in frame.columns:
            score += sign * _flag(frame[column], column)
            unknown &= frame[column].isna().to_numpy()
    return pd.Series(np.where(unknown, np.nan, score), index=frame.index, name="feedback_type")


def in_playlist(frame: pd.DataFrame, source: str = "in_playlist",
                values: Sequence | None = None) -> pd.Series:
    """InPlaylist in {0, 1} from a dataset field.

    With `values=None`, `source` is itself a flag (bool, 0/1, 'True'/'False'); otherwise
    the result is 1 where `source` is one of `values` (e.g. MSSD
    `source="context_type", values=("user_collection",)`). Missing source values are NaN.

    Example:
    >>> log = pd.DataFrame({"context_type": ["user_collection", "radio", None]})
    >>> in_playlist(log, "context_type", ("user_collection",)).tolist()
    [1.0, 0.0, nan]
    """
    _require(frame, (source,), "in_playlist")
    column = frame[source]
    flag = _flag(column, source) if values is None else column.isin(list(values)).to_numpy()
    return pd.Series(np.where(column.isna().to_numpy(), np.nan, flag.astype(np.float64)),
                     index=frame.index, name="in_playlist")


# --------------------------------------------------------------------------- embedding objectives


def _last_before(users_sorted: np.ndarray, eligible_sorted: np.ndarray) -> np.ndarray:
    """Index (in sorted order) of the user's latest earlier eligible event, -1 if none."""
    idx = np.arange(len(users_sorted))
    latest = np.maximum.accumulate(np.where(eligible_sorted, idx, -1))
    prev = np.full(len(idx), -1)
    prev[1:] = latest[:-1]
    linked = np.flatnonzero(prev >= 0)
    same_user = users_sorted[prev[linked]] == users_sorted[linked]
    prev[linked[~same_user]] = -1
    return prev


def _watched(frame: pd.DataFrame) -> np.ndarray:
    if "video_view" not in frame.columns:
        return np.ones(len(frame), dtype=bool)
    return (pd.to_numeric(frame["video_view"]).to_numpy(dtype=np.float64) == 1)


def video_objectives(frame: pd.DataFrame, item_embeddings=None, *, item_index=None,
                     session_gap_seconds: float = 300, fill_value: float = 0.0) -> pd.DataFrame:
    """Youku-style artist objectives `relevance` and `novelty` from item embeddings.

    relevance = 1 / (1 + mean Euclidean distance from this item to the items the user
    watched in their previous session), where the previous session is the latest earlier
    session of the user with at least one watch, and every watch event counts once.
    novelty = distance to the last item the user watched before this event.
    "Watched" = `video_view == 1` when that column exists, else every event.
    Where no such history exists the value is `fill_value` (0 by default, SPEC §5) and
    the flags say so: `has_history` (an earlier watch exists: novelty is real) and
    `has_previous_session` (relevance is real).

    `item_embeddings` is one of: a DataFrame indexed by item_id (one row per item); a
    Series or dict item_id -> 1-D vector; a 2-D array whose rows are addressed by
    `item_index` (dict/Series item_id -> row) or, without it, by integer item_id; or
    None, meaning `frame.attrs["item_embeddings"]`.

    Example:
    >>> log = pd.DataFrame({"user_id": [1, 1, 1], "item_id": [0, 1, 2], "timestamp": [0, 10, 1000]})
    >>> emb = np.array([[0.0, 0.0], [3.0, 4.0], [0.0, 4.0]])
    >>> video_objectives(log, emb).round(4).to_dict("list")
    {'relevance': [0.0, 0.0, 0.2222], 'novelty': [0.0, 5.0, 3.0], 'has_history': [False, True, True], \
'has_previous_session': [False, False, True]}
    """
    _require(frame, ("user_id", "item_id", "timestamp"), "video_objectives")
    out = pd.DataFrame({"relevance": np.full(len(frame), float(fill_value)),
                        "novelty": np.full(len(frame), float(fill_value)),
                        "has_history": np.zeros(len(frame), dtype=bool),
                        "has_previous_session": np.zeros(len(frame), dtype=bool)}, index=frame.index)
    matrix, rows = _item_rows(frame, item_embeddings, item_index)
    if len(frame) == 0:
        return out
    ts = _timestamps(frame)
    users, _ = _codes(frame["user_id"], "user_id")
    watched = _watched(frame)
    time_order = _time_order(ts)

    # novelty: latest earlier watch of the same user, in (user, time) order
    order = _group_order(users, time_order)
    prev = _last_before(users[order], watched[order])
    has = prev >= 0
    novelty_s = np.full(len(order), float(fill_value))
    novelty_s[has] = _distances(matrix, rows[order][has], rows[order][prev[has]])
    out["novelty"] = _scatter(novelty_s, order)
    out["has_history"] = _scatter(has, order)

    # relevance: sessions ordered per user by their first event; previous session with a watch
    raw_sessions, _ = _codes(_sessions(frame, session_gap_seconds), "session_id")
    sid, n_sessions = _codes(_pair_codes(users, raw_sessions), "session")
    rank = _scatter(np.arange(len(ts)), time_order)
    first_rank = np.full(n_sessions, len(ts))
    np.minimum.at(first_rank, sid, rank)
    session_user = np.empty(n_sessions, dtype=np.int64)
    session_user[sid] = users
    session_order = np.lexsort((first_rank, session_user))
    has_watch = np.bincount(sid, weights=watched, minlength=n_sessions) > 0
    prev_pos = _last_before(session_user[session_order], has_watch[session_order])
    prev_session = np.full(n_sessions, -1)
    prev_session[session_order] = np.where(prev_pos >= 0, session_order[prev_pos], -1)

    watch_events = np.flatnonzero(watched)
    watch_events = watch_events[np.argsort(sid[watch_events], kind="stable")]
    members = rows[watch_events]
    set_start = np.searchsorted(sid[watch_events], np.arange(n_sessions), side="left")
    set_length = np.bincount(sid[watch_events], minlength=n_sessions)
    p = prev_session[sid]
    length = np.where(p >= 0, set_length[np.maximum(p, 0)], 0)
    mean_dist = _mean_distance_to_sets(matrix, rows, members, set_start[np.maximum(p, 0)], length)
    has_prev = length > 0
    out["relevance"] = np.where(has_prev, 1.0 / (1.0 + mean_dist), float(fill_value))
    out["has_previous_session"] = has_prev
    return out


def alternative_artist_objectives(frame: pd.DataFrame, item_embeddings=None, *, item_index=None,
                                  session_gap_seconds: float = 300,
                                  fill_value: float = 0.0) -> pd.DataFrame:
    """Appendix E.5 artist objectives `consumption_diversity` and `session_similarity`.

    consumption_diversity = Euclidean distance from this item to the last item the user
    played before this event; session_similarity = 1 / (1 + distance from this item to the
    mean embedding of the earlier events of the current session). Where there is no
    earlier play (user's first event) or no earlier event in the session (a session's
    first event) the value is `fill_value` (0 by default; pass NaN to mark unknown) and
    the flags `has_last_item` / `has_session_history` are False. `item_embeddings` as in
    `video_objectives`; sessions from `session_id` or `assign_sessions`.

    Example:
    >>> log = pd.DataFrame({"user_id": [1, 1, 1], "item_id": [0, 1, 2], "timestamp": [0, 10, 20]})
    >>> emb = np.array([[0.0, 0.0], [6.0, 0.0], [3.0, 4.0]])
    >>> alternative_artist_objectives(log, emb).round(3).to_dict("list")
    {'consumption_diversity': [0.0, 6.0, 5.0], 'session_similarity': [0.0, 0.143, 0.2], \
'has_last_item': [False, True, True], 'has_session_history': [False, True, True]}
    """
    _require(frame, ("user_id", "item_id", "timestamp"), "alternative_artist_objectives")
    out = pd.DataFrame({"consumption_diversity": np.full(len(frame), float(fill_value)),
                        "session_similarity": np.full(len(frame), float(fill_value)),
                        "has_last_item": np.zeros(len(frame), dtype=bool),
                        "has_session_history": np.zeros(len(frame), dtype=bool)}, index=frame.index)
    matrix, rows = _item_rows(frame, item_embeddings, item_index)
    if len(frame) == 0:
        return out
    ts = _timestamps(frame)
    users, _ = _codes(frame["user_id"], "user_id")
    time_order = _time_order(ts)

    order = _group_order(users, time_order)
    prev = _last_before(users[order], np.ones(len(order), dtype=bool))
    has = prev >= 0
    diversity_s = np.full(len(order), float(fill_value))
    diversity_s[has] = _distances(matrix, rows[order][has], rows[order][prev[has]])
    out["consumption_diversity"] = _scatter(diversity_s, order)
    out["has_last_item"] = _scatter(has, order)

    raw_sessions, _ = _codes(_sessions(frame, session_gap_seconds), "session_id")
    sid, _ = _codes(_pair_codes(users, raw_sessions), "session")
    order = _group_order(sid, time_order)
    starts = _group_starts(sid[order])
    count = np.arange(len(order)) - starts
    vectors = matrix[rows[order]]
    before = np.cumsum(vectors, axis=0) - vectors  # sum of all earlier rows, across sessions
    before -= before[starts]  # keep only this session's earlier rows
    has = count > 0
    similarity_s = np.full(len(order), float(fill_value))
    if has.any():
        centroid = before[has] / count[has, None]
        similarity_s[has] = 1.0 / (1.0 + np.linalg.norm(vectors[has] - centroid, axis=1))
    out["session_similarity"] = _scatter(similarity_s, order)
    out["has_session_history"] = _scatter(has, order)
    return out


# --------------------------------------------------------------------------- convenience

_RAW_FIELDS = ("video_view", "time_spent", "play_rate")
_KNOWN = ("new_fan", "recurring_fan", "num_times_listening", "pct_listening", "is_skip", "is_finish",
          "feedback_type", "in_playlist", "relevance", "novelty", "consumption_diversity",
          "session_similarity") + _RAW_FIELDS


def add_objectives(frame: pd.DataFrame, objectives, *, overwrite: bool = False,
                   durations: pd.Series | Mapping | None = None, skip_seconds: float = 30,
                   finish_ratio: float = 0.9, max_duration: float = 600, session_gap_seconds: float = 300,
                   item_embeddings=None, item_index=None, fill_value: float = 0.0,
                   like: str = "like", dislike: str = "dislike", playlist_source: str = "in_playlist",
                   playlist_values: Sequence | None = None) -> pd.DataFrame:
    """A copy of `frame` with the requested objective columns computed and added.

    `objectives` is a sequence of SPEC §14 names, or any object with `objective_names`
    (a `DatasetSpec`). Columns already in the frame are kept unless `overwrite=True`.
    Derivations: new_fan/recurring_fan -> `fan_objectives`; num_times_listening;
    pct_listening -> `mssd_pct_listening` when the MSSD skip flags are present, else
    `gap_objectives` (with is_skip/is_finish); relevance/novelty -> `video_objectives`;
    consumption_diversity/session_similarity -> `alternative_artist_objectives`;
    feedback_type/in_playlist -> the helpers of those names. video_view, time_spent and
    play_rate are raw fields a reader maps: a missing one is an error. The helper
    columns `session_id` (when sessions were assigned) and the history flags are added too.

    Example:
    >>> log = pd.DataFrame({"user_id": [1, 1], "item_id": [5, 5], "artist_id": [2, 2], "timestamp": [0, 9]})
    >>> add_objectives(log, ["num_times_listening", "new_fan"]).columns.tolist()
    ['user_id', 'item_id', 'artist_id', 'timestamp', 'num_times_listening', 'new_fan']
    """
    if isinstance(objectives, str):
        raise ValueError(f"objectives must be a list of names or a DatasetSpec, got the string {objectives!r}; "
                         "pass get_spec(name) or get_spec(name).objective_names")
    names = list(getattr(objectives, "objective_names", objectives))
    unknown = [n for n in names if n not in _KNOWN]
    if unknown:
        raise ValueError(f"add_objectives: unknown objective(s) {unknown}; known: {list(_KNOWN)}")
    todo = [n for n in names if overwrite or n not in frame.columns]
    missing_raw = [n for n in todo if n in _RAW_FIELDS and n not in frame.columns]
    if missing_raw:
        raise ValueError(f"add_objectives: {missing_raw} are raw fields the reader must map; "
                         f"present: {list(frame.columns)}")
    result = frame.copy()
    new: dict[str, pd.Series] = {}
    sessions_needed = any(n in todo for n in ("is_skip", "is_finish", "relevance", "novelty",
                                              "consumption_diversity", "session_similarity"))
    mssd = all(name in frame.columns for name, _ in MSSD_SKIP_LEVELS)
    sessions_needed |= "pct_listening" in todo and not mssd
    if sessions_needed and "session_id" not in frame.columns:
        new["session_id"] = assign_sessions(frame, session_gap_seconds)
        frame = frame.assign(session_id=new["session_id"])
    if {"new_fan", "recurring_fan"} & set(todo):
        new.update(fan_objectives(frame).items())
    if "num_times_listening" in todo:
        new["num_times_listening"] = num_times_listening(frame)
    if "pct_listening" in todo and mssd:
        new["pct_listening"] = mssd_pct_listening(frame)
    if {"is_skip", "is_finish"} & set(todo) or ("pct_listening" in todo and not mssd):
        gaps = gap_objectives(frame, durations, skip_seconds, finish_ratio, max_duration,
                              session_gap_seconds=session_gap_seconds)
        new.update((k, v) for k, v in gaps.items() if k not in new)
    if {"relevance", "novelty"} & set(todo):
        new.update(video_objectives(frame, item_embeddings, item_index=item_index,
                                    session_gap_seconds=session_gap_seconds, fill_value=fill_value).items())
    if {"consumption_diversity", "session_similarity"} & set(todo):
        new.update(alternative_artist_objectives(frame, item_embeddings, item_index=item_index,
                                                 session_gap_seconds=session_gap_seconds,
                                                 fill_value=fill_value).items())
    if "feedback_type" in todo:
        new["feedback_type"] = feedback_type(frame, like, dislike)
    if "in_playlist" in todo:
        new["in_playlist"] = in_playlist(frame, playlist_source, playlist_values)
    for name in todo:
        if name in new:
            result[name] = new[name]
    for helper in ("session_id", "has_history", "has_previous_session", "has_last_item",
                   "has_session_history"):
        if helper in new and helper not in result.columns:
            result[helper] = new[helper]
    return result
