"""Synthetic interaction logs in the schema of each DatasetSpec (SPEC §6).

The paper's data are proprietary, so every spec has a generator that writes a
log with real structure: users, artists and items with latent vectors (items
near their artist), Zipf artist popularity, interactions drawn from popularity x
user-item affinity with repeats, in sessions, over the paper's time span. Every
per-event objective is driven by the same latent affinity plus noise; the
history-based objectives are computed from the generated history by
`ms_bridge.objectives`, never sampled. The full process and its calibration
against Tables 12-15 are in docs/synthetic_data.md.

Example:
>>> frame = generate("spotify", scale="small", seed=0)
>>> list(frame.columns[:5])
['user_id', 'item_id', 'artist_id', 'timestamp', 'session_id']
>>> bool(frame["new_fan"].between(0, 1).all())
True
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from ms_bridge import objectives
from ms_bridge.datasets.spec import get_spec

SCALES = ("small", "paper")
DAY = 86_400
_CHUNK = 131_072


@dataclasses.dataclass(frozen=True)
class Size:
    """Counts of one scale: rows are exact, users all appear, items/artists are the catalogue."""

    n_users: int
    n_items: int
    n_artists: int
    n_rows: int
    min_rows_per_user: int = 1


@dataclasses.dataclass(frozen=True)
class MusicConfig:
    """Parameters of the music generator (spotify, spotify_sessions, mlhd)."""

    start: str
    days: float
    sizes: dict
    warmup_days: float = 0.0      # history before the window: feeds history objectives, then dropped
    warmup_ratio: float = 0.0     # warm-up events per window event
    dim: int = 16
    artist_zipf: float = 1.0
    item_spread: float = 0.5      # item vector = artist vector + spread * noise (then renormalised)
    activity_sigma: float = 0.1   # lognormal spread of user activity
    session_len: float = 8.0      # mean events per session
    library_ratio: float = 0.065  # library slots per event of a user's history (warm-up + window)
    library_exponent: float = 1.0  # library size ~ ratio * events ** exponent
    n_library_candidates: int = 8
    n_popular_candidates: int = 1
    library_beta: float = 1.5     # weight of static affinity when a user's library is drawn
    choice_beta: float = 0.15     # weight of (static + mood) affinity in each play's choice
    mood_sigma: float = 0.3       # per-session taste shift, shared by choice and engagement
    mood_rho: float = 0.7         # persistence of the taste shift from one session to the next
    noise: float = 0.8            # per-event engagement noise
    thresholds: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class VideoConfig:
    """Parameters of the video generator (youku)."""

    start: str
    days: float
    sizes: dict
    dim: int = 16
    artist_zipf: float = 1.0
    item_spread: float = 0.5
    embedding_scale: float = 0.5  # item_embeddings = scale * latent item vector
    activity_sigma: float = 0.5
    session_len: float = 4.0
    choice_beta: float = 0.6
    mood_sigma: float = 0.7
    mood_rho: float = 0.7
    noise: float = 1.0
    n_side_features: int = 4
    thresholds: dict = dataclasses.field(default_factory=dict)


_SPOTIFY_THRESHOLDS = {"full": 0.7, "partial_shift": -0.6, "like": 0.1, "dislike": -0.9,
                       "playlist": 1.95}

CONFIGS: dict[str, MusicConfig | VideoConfig] = {
    "spotify": MusicConfig(
        start="2020-02-14", days=7, warmup_days=21, warmup_ratio=3.0,
        sizes={"small": Size(2_000, 4_000, 800, 30_000, 5),
               "paper": Size(294_469, 81_948, 20_000, 970_013, 1)},
        thresholds=_SPOTIFY_THRESHOLDS),
    "spotify_sessions": MusicConfig(
        start="2020-11-01", days=30, warmup_days=30, warmup_ratio=1.0,
        sizes={"small": Size(800, 5_000, 1_200, 40_000, 5),
               "paper": Size(82_696, 417_932, 100_000, 8_892_650, 1)},
        session_len=12.0, library_ratio=0.03, thresholds={**_SPOTIFY_THRESHOLDS, "playlist": 1.75}),
    "mlhd": MusicConfig(
        start="2012-01-01", days=639, warmup_days=0, warmup_ratio=0.0,
        sizes={"small": Size(100, 4_000, 800, 40_000, 5),
               "paper": Size(1_052, 407_681, 50_000, 3_393_744, 5)},
        session_len=10.0, library_ratio=0.8,
        thresholds={"finish": -0.9, "skip": -2.5, "partial_shift": 0.0}),
    "youku": VideoConfig(
        start="2019-07-29", days=7,
        sizes={"small": Size(1_000, 229, 50, 24_000, 1),
               "paper": Size(51_419, 229, 50, 99_999, 1)},
        thresholds={"view": 1.75, "rate_shift": -1.5}),
}


def generate(spec_name: str, scale: str = "small", seed: int = 0) -> pd.DataFrame:
    """Generates a synthetic interaction table for the DatasetSpec `spec_name`.

    Args:
        spec_name: one of "spotify", "spotify_sessions", "mlhd", "youku".
        scale: "small" (fast, for tests and CI) or "paper" (Table 11 counts).
        seed: seed of every random draw; the same seed gives the same frame.

    Returns:
        A DataFrame per docs/architecture.md §1 sorted by (timestamp, generation
        order): ids, `timestamp` (int64 UTC s), `session_id`, raw fields
        (`duration`, and for youku the `user_feature_*` side features) and every
        objective of the spec as float64 (NaN only where the real format lacks
        it). `frame.attrs["item_embeddings"]` holds {item_id: vector} for youku.

    Example:
    >>> frame = generate("youku", seed=1)
    >>> len(frame), frame["item_id"].nunique() <= 229
    (24000, True)
    """
    get_spec(spec_name)
    if spec_name not in CONFIGS:
        raise ValueError(f"no synthetic generator for dataset {spec_name!r}; known: {sorted(CONFIGS)}")
    if scale not in SCALES:
        raise ValueError(f"scale {scale!r} not in {SCALES}")
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    config = CONFIGS[spec_name]
    rng = np.random.default_rng(int(seed))
    if isinstance(config, VideoConfig):
        return _generate_video(config, config.sizes[scale], rng)
    return _generate_music(spec_name, config, config.sizes[scale], rng)


# ----------------------------------------------------------------------------- shared pieces

def _unit_vectors(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    # Coordinates of variance 1/sqrt(dim): the dot product of two vectors has variance ~1.
    return rng.normal(0.0, dim ** -0.25, size=(n, dim)).astype(np.float32)


def _catalogue(rng: np.random.Generator, size: Size, dim: int, zipf: float, spread: float):
    """Artist and item vectors, item -> artist, and item popularity (Zipf over artists)."""
    n_artists, n_items = size.n_artists, size.n_items
    artist_vec = _unit_vectors(rng, n_artists, dim)
    artist_pop = rng.permutation(np.arange(1, n_artists + 1, dtype=np.float64) ** -zipf)
    # Every artist gets one item; the rest go to artists in proportion to sqrt(popularity).
    share = np.sqrt(artist_pop) / np.sqrt(artist_pop).sum()
    extra = rng.choice(n_artists, size=max(n_items - n_artists, 0), p=share)
    item_artist = rng.permutation(np.concatenate([np.arange(min(n_artists, n_items)), extra]))
    item_vec = (artist_vec[item_artist] + spread * _unit_vectors(rng, n_items, dim)) / np.sqrt(1 + spread ** 2)
    n_per_artist = np.bincount(item_artist, minlength=n_artists)
    item_pop = artist_pop[item_artist] / n_per_artist[item_artist] * rng.lognormal(0.0, 0.7, n_items)
    return artist_vec, item_vec.astype(np.float32), item_artist, item_pop / item_pop.sum(), artist_pop


def _allocate(rng: np.random.Generator, n_rows: int, n_users: int, minimum: int, sigma: float) -> np.ndarray:
    """Per-user row counts: `minimum` each plus a multinomial share by lognormal activity; sums to n_rows."""
    if n_rows < n_users * minimum:
        raise ValueError(f"n_rows {n_rows} < n_users {n_users} x minimum {minimum}")
    activity = rng.lognormal(0.0, sigma, n_users)
    return minimum + rng.multinomial(n_rows - n_users * minimum, activity / activity.sum())


def _draw(rng: np.random.Generator, cdf: np.ndarray, shape) -> np.ndarray:
    """Indices drawn from the distribution with cumulative sums `cdf` (inverse-CDF sampling)."""
    return np.minimum(np.searchsorted(cdf, rng.random(shape) * cdf[-1], side="right"), len(cdf) - 1)


def _affinity(user_vec: np.ndarray, item_vec: np.ndarray, users: np.ndarray, items: np.ndarray) -> np.ndarray:
    """Row-wise dot products <user_vec[users], item_vec[items]> in chunks (items may be 2-D)."""
    out = np.empty(items.shape, dtype=np.float32)
    for lo in range(0, len(users), _CHUNK):
        hi = lo + _CHUNK
        u = user_vec[users[lo:hi]]
        out[lo:hi] = np.einsum("nd,n...d->n...", u, item_vec[items[lo:hi]])
    return out


def _group_starts(groups: np.ndarray) -> np.ndarray:
    """Boolean mask of the first element of each run of equal values in a grouped array."""
    first = np.ones(len(groups), dtype=bool)
    first[1:] = groups[1:] != groups[:-1]
    return first


def _rank_in_group(groups: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... within each contiguous run of equal values."""
    idx = np.arange(len(groups))
    starts = np.maximum.accumulate(np.where(_group_starts(groups), idx, 0))
    return idx - starts


def _sessions(rng: np.random.Generator, event_user: np.ndarray, event_period: np.ndarray,
              mean_len: float) -> np.ndarray:
    """Global session index of each event; events are grouped by user, then period, in time order."""
    new = rng.random(len(event_user)) < 1.0 / mean_len
    new |= _group_starts(event_user * 2 + event_period)
    return np.cumsum(new) - 1


def _session_times(rng: np.random.Generator, session: np.ndarray, event_user: np.ndarray,
                   event_period: np.ndarray, gaps: np.ndarray, periods: list[tuple[int, int]]) -> np.ndarray:
    """Timestamps: sessions start uniformly in their period, ordered and non-overlapping per user;
    events follow each other within a session by `gaps` seconds."""
    first = _group_starts(session)
    s_user, s_period = event_user[first], event_period[first]
    n_sessions = int(first.sum())
    bounds = np.asarray(periods, dtype=np.float64)
    starts = bounds[s_period, 0] + rng.random(n_sessions) * (bounds[s_period, 1] - bounds[s_period, 0])
    # Sort starts within (user, period) and put them back in session order.
    order = np.lexsort((starts, s_period, s_user))
    starts = starts[order]
    offset_in_session = np.cumsum(gaps) - gaps
    session_first_offset = offset_in_session[first]
    offset_in_session -= np.repeat(session_first_offset, np.diff(np.append(np.flatnonzero(first), len(gaps))))
    length = np.add.reduceat(gaps, np.flatnonzero(first)) + 301.0
    # Push a session later when the previous one of the user has not ended (plus a 301 s pause):
    # start'_k = C_k + max_{j<=k}(start_j - C_j), C_k = total length of the user's earlier sessions.
    c = np.cumsum(length) - length
    c -= np.repeat(c[_group_starts(s_user)], np.diff(np.append(np.flatnonzero(_group_starts(s_user)), n_sessions)))
    big = 1e11
    shifted = np.maximum.accumulate(starts - c + s_user * big) - s_user * big
    starts = c + shifted
    times = np.repeat(starts, np.diff(np.append(np.flatnonzero(first), len(gaps)))) + offset_in_session
    # A rare overflow past a period's end is clipped, which keeps the per-user order.
    times = np.minimum(times, bounds[event_period, 1] - 1)
    return np.floor(times).astype(np.int64)


def _ar_mood(rng: np.random.Generator, session_user: np.ndarray, dim: int, sigma: float,
             rho: float) -> np.ndarray:
    """Per-session taste shift, AR(1) across each user's consecutive sessions (stationary N(0, sigma^2/sqrt(dim)))."""
    shock = rng.normal(0.0, sigma * dim ** -0.25, size=(len(session_user), dim)).astype(np.float32)
    rank = _rank_in_group(session_user)
    mood = shock.copy()
    innovation = np.float32(np.sqrt(1.0 - rho ** 2))
    by_rank = np.argsort(rank, kind="stable")
    bounds = np.searchsorted(rank[by_rank], np.arange(1, rank.max() + 2))
    for k in range(1, rank.max() + 1):  # loop over session rank, vectorised across users
        idx = by_rank[bounds[k - 1]:bounds[k]]
        mood[idx] = rho * mood[idx - 1] + innovation * shock[idx]
    return mood


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _finish(frame: pd.DataFrame, spec_name: str) -> pd.DataFrame:
    """Stable sort by timestamp, contiguous session ids, objective columns in spec order as float64."""
    frame = frame.sort_values("timestamp", kind="stable").reset_index(drop=True)
    frame["session_id"] = pd.factorize(frame["session_id"])[0].astype(np.int64)
    names = list(get_spec(spec_name).objective_names)
    rest = [c for c in frame.columns if c not in names and c not in ("user_id", "item_id", "artist_id",
                                                                        "timestamp", "session_id")]
    frame = frame[["user_id", "item_id", "artist_id", "timestamp", "session_id"] + rest + names]
    return frame.astype({n: np.float64 for n in names})


# ----------------------------------------------------------------------------- music

def _generate_music(spec_name: str, cfg: MusicConfig, size: Size, rng: np.random.Generator) -> pd.DataFrame:
    t0 = int(pd.Timestamp(cfg.start, tz="UTC").timestamp())
    t_end = t0 + int(cfg.days * DAY)
    t_warm = t0 - int(cfg.warmup_days * DAY)
    artist_vec, item_vec, item_artist, item_pop, artist_pop = _catalogue(
        rng, size, cfg.dim, cfg.artist_zipf, cfg.item_spread)
    n_users = size.n_users
    user_vec = _unit_vectors(rng, n_users, cfg.dim)
    user_bias = rng.normal(0.0, 0.5, n_users).astype(np.float32)
    item_bias = rng.normal(0.0, 0.4, size.n_items).astype(np.float32)
    duration = np.clip(rng.lognormal(np.log(215.0), 0.3, size.n_items), 60.0, 600.0)

    window = _allocate(rng, size.n_rows, n_users, size.min_rows_per_user, cfg.activity_sigma)
    warm = rng.poisson(window * cfg.warmup_ratio) if cfg.warmup_ratio > 0 else np.zeros(n_users, np.int64)
    total = warm + window
    event_user = np.repeat(np.arange(n_users), total)
    event_period = (_rank_in_group(event_user) >= np.repeat(warm, total)).astype(np.int64)  # 0 warm, 1 window

    # Library: each user's favourite items, chosen by popularity x static affinity.
    lib_size = np.maximum(2, np.round(cfg.library_ratio * total ** cfg.library_exponent)).astype(np.int64)
    lib_user = np.repeat(np.arange(n_users), lib_size)
    cdf = np.cumsum(item_pop)
    cand = _draw(rng, cdf, (len(lib_user), 8))
    score = cfg.library_beta * _affinity(user_vec, item_vec, lib_user, cand) + rng.gumbel(size=cand.shape)
    library = cand[np.arange(len(lib_user)), np.argmax(score, axis=1)]
    lib_start = np.cumsum(lib_size) - lib_size

    # Each event: candidates from the library (repeats) and from popularity (discovery); the
    # session mood shifts the user's taste and drives both the choice and the engagement.
    session = _sessions(rng, event_user, event_period, cfg.session_len)
    mood = _ar_mood(rng, event_user[_group_starts(session)], cfg.dim, cfg.mood_sigma, cfg.mood_rho)
    n_events = len(event_user)
    items = np.empty(n_events, dtype=np.int64)
    affinity = np.empty(n_events, dtype=np.float32)
    for lo in range(0, n_events, 8 * _CHUNK):  # chunks bound the memory of the candidate arrays
        users, hi = event_user[lo:lo + 8 * _CHUNK], min(lo + 8 * _CHUNK, n_events)
        taste = user_vec[users] + mood[session[lo:hi]]
        pick = rng.random((len(users), cfg.n_library_candidates)) * lib_size[users][:, None]
        cands = np.concatenate([library[lib_start[users][:, None] + pick.astype(np.int64)],
                                _draw(rng, cdf, (len(users), cfg.n_popular_candidates))], axis=1)
        aff = _affinity(taste, item_vec, np.arange(len(users)), cands)
        chosen = np.argmax(cfg.choice_beta * aff + rng.gumbel(size=cands.shape), axis=1)
        items[lo:hi] = cands[np.arange(len(users)), chosen]
        affinity[lo:hi] = aff[np.arange(len(users)), chosen]
    engagement = affinity + user_bias[event_user] + item_bias[items] + rng.normal(0.0, cfg.noise, n_events)

    th = cfg.thresholds
    columns: dict[str, np.ndarray] = {}
    if spec_name == "mlhd":
        # Last.fm logs only scrobble times: the listened time sets the gap to the next scrobble,
        # and IsSkip / IsFinish / %Listening are derived from gaps by the objectives module.
        finish = engagement + rng.normal(0.0, 1.0, n_events) > th["finish"]
        skip = ~finish & (engagement + rng.normal(0.0, 1.0, n_events) < th["skip"])
        partial = np.where(skip, rng.uniform(3.0, 29.0, n_events) / duration[items],
                           0.65 + 0.25 * _sigmoid(engagement + th["partial_shift"] + rng.normal(0.0, 1.0, n_events)))
        fraction = np.where(finish, rng.uniform(0.93, 1.0, n_events), partial)
        gaps = fraction * duration[items] + rng.uniform(1.0, 6.0, n_events)
    else:
        full = engagement + rng.normal(0.0, 1.0, n_events) > th["full"]
        partial = _sigmoid(1.2 * engagement + th["partial_shift"] + rng.normal(0.0, 1.0, n_events))
        pct = np.where(full, 1.0, partial * 0.98)
        fb_latent = engagement + rng.normal(0.0, 1.0, n_events)
        columns["pct_listening"] = pct
        columns["feedback_type"] = np.where(fb_latent > th["like"], 1.0,
                                            np.where(fb_latent < th["dislike"], -1.0, 0.0))
        columns["in_playlist"] = (engagement + rng.normal(0.0, 1.0, n_events) > th["playlist"]).astype(float)
        gaps = pct * duration[items] + rng.uniform(1.0, 6.0, n_events)

    timestamp = _session_times(rng, session, event_user, event_period, gaps,
                               [(t_warm, t0), (t0, t_end)])
    frame = pd.DataFrame({"user_id": event_user.astype(np.int64), "item_id": items.astype(np.int64),
                          "artist_id": item_artist[items].astype(np.int64), "timestamp": timestamp,
                          "session_id": session.astype(np.int64), "duration": duration[items].round(1),
                          **columns})
    order = np.argsort(timestamp, kind="stable")
    frame = frame.iloc[order].reset_index(drop=True)
    in_window = event_period[order] == 1
    fans = objectives.fan_objectives(frame)
    frame["new_fan"] = np.asarray(fans["new_fan"], dtype=np.float64)
    frame["recurring_fan"] = np.asarray(fans["recurring_fan"], dtype=np.float64)
    if spec_name == "mlhd":
        # Last.fm logs carry no sessions: they are recovered by the 5-minute rule, as a reader would.
        frame["session_id"] = objectives.assign_sessions(frame).to_numpy(dtype=np.int64)
        gap_obj = objectives.gap_objectives(frame)
        for name in ("pct_listening", "is_finish", "is_skip"):
            frame[name] = np.asarray(gap_obj[name], dtype=np.float64)
    else:
        frame["num_times_listening"] = np.asarray(objectives.num_times_listening(frame), dtype=np.float64)
    frame = frame.loc[in_window].reset_index(drop=True)
    return _finish(frame, spec_name)


# ----------------------------------------------------------------------------- video

def _generate_video(cfg: VideoConfig, size: Size, rng: np.random.Generator) -> pd.DataFrame:
    t0 = int(pd.Timestamp(cfg.start, tz="UTC").timestamp())
    t_end = t0 + int(cfg.days * DAY)
    _, item_vec, item_artist, item_pop, _ = _catalogue(rng, size, cfg.dim, cfg.artist_zipf, cfg.item_spread)
    n_users = size.n_users
    user_vec = _unit_vectors(rng, n_users, cfg.dim)
    user_bias = rng.normal(0.0, 0.5, n_users).astype(np.float32)
    item_bias = rng.normal(0.0, 0.4, size.n_items).astype(np.float32)
    duration = np.clip(rng.lognormal(np.log(52.0), 0.2, size.n_items), 5.0, 900.0)
    # Dense user side features: noisy linear read-outs of the user's latent vector (a profile).
    loading = rng.normal(0.0, 1.0, size=(cfg.dim, cfg.n_side_features)).astype(np.float32)
    side = user_vec @ loading + rng.normal(0.0, 0.5, size=(n_users, cfg.n_side_features)).astype(np.float32)

    counts = _allocate(rng, size.n_rows, n_users, size.min_rows_per_user, cfg.activity_sigma)
    event_user = np.repeat(np.arange(n_users), counts)
    period = np.ones(len(event_user), dtype=np.int64)
    session = _sessions(rng, event_user, period, cfg.session_len)
    mood = _ar_mood(rng, event_user[_group_starts(session)], cfg.dim, cfg.mood_sigma, cfg.mood_rho)
    taste = user_vec[event_user] + mood[session]
    # Impressions: the feed shows popular videos, tilted towards the user's current taste.
    n_events = len(event_user)
    cands = _draw(rng, np.cumsum(item_pop), (n_events, 4))
    aff = _affinity(taste, item_vec, np.arange(n_events), cands)
    chosen = np.argmax(cfg.choice_beta * aff + rng.gumbel(size=cands.shape), axis=1)
    items = cands[np.arange(n_events), chosen]
    engagement = (aff[np.arange(n_events), chosen] + user_bias[event_user] + item_bias[items]
                  + rng.normal(0.0, cfg.noise, n_events))
    th = cfg.thresholds
    view = engagement + rng.normal(0.0, 1.0, n_events) > th["view"]
    rate = np.where(view, _sigmoid(1.5 * engagement + th["rate_shift"] + rng.normal(0.0, 1.0, n_events)), 0.0)
    seconds = duration[items].round(1)
    time_spent = np.round(rate * seconds, 1)
    gaps = np.where(view, time_spent, 0.0) + rng.uniform(2.0, 20.0, n_events)
    timestamp = _session_times(rng, session, event_user, period, gaps, [(t0, t0), (t0, t_end)])
    frame = pd.DataFrame({"user_id": event_user.astype(np.int64), "item_id": items.astype(np.int64),
                          "artist_id": item_artist[items].astype(np.int64), "timestamp": timestamp,
                          "session_id": session.astype(np.int64), "duration": seconds,
                          **{f"user_feature_{k}": side[event_user, k].astype(np.float64)
                             for k in range(cfg.n_side_features)},
                          "video_view": view.astype(np.float64), "time_spent": time_spent,
                          # PlayRate = time spent / duration (0 without a click), as SPEC §5 defines it.
                          "play_rate": np.minimum(time_spent / seconds, 1.0)})
    embeddings = {int(i): (cfg.embedding_scale * item_vec[i]).astype(np.float64) for i in range(size.n_items)}
    history = objectives.video_objectives(frame, embeddings)
    frame["relevance"] = history["relevance"].to_numpy(dtype=np.float64)
    frame["novelty"] = history["novelty"].to_numpy(dtype=np.float64)
    frame = _finish(frame, "youku")
    frame.attrs["item_embeddings"] = embeddings
    return frame
