"""Population-level allocation: the motivational example of paper §3.2 (Table 1).

Generative process (SPEC §3, paper §3.2; choices in docs/table1_allocation.md):
N users, M artists, the first `round(0.1 M)` artists are superstars.
- relevance: stars TN(0.95, 0.05); niche `I·TN(0.85, 0.02) + (1−I)·TN(0.10, 0.05)`
  with the latent fan indicator `I ~ Bernoulli(0.05)` (0 for stars); TN(μ, σ) is
  a normal of mean μ and standard deviation σ truncated to [0, 1];
- discovery: stars U(0.1, 0.3), niche U(0.8, 1.0);
- exposure value of a recommended pair: `C / sqrt(Popularity(i))`, Popularity(i)
  = number of users the allocation recommends i to; C = 1;
- fan growth: the latent fan indicator;
- `U_user = 0.9 rel + 0.1 disc`, `U_artist = 0.5 exp + 0.5 fan`, K = 1.

Each user gets one artist. With `SU = Σ_u U_user`, `SA = Σ_u U_artist =
C·w_exp·Σ_i sqrt(n_i) + w_fan·(fan matches)`, the strategies maximise over the
whole allocation: MAUT-User `SU/N`, MAUT-Artist `SA/N`, MS-NSW
`sqrt(SU/N · SA/N)` (= `welfare.allocation_welfare`).

Optimisers: `exact_allocation` enumerates all M^N allocations (tiny sizes);
`local_search` is a vectorised best-improvement search over single-user
reassignments (exact sequential popularity updates, thousands of moves per
round) and, on dense markets, swaps, two-user chains and an exact re-matching
at fixed popularity.

Example:
>>> market = generate_market(200, 20, seed=0)
>>> alloc = solve(market, "MS-NSW")
>>> m = allocation_metrics(market, alloc)
>>> sorted(m)[:3]
['artist_coverage', 'avg_artist_utility', 'avg_user_utility']
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import sparse

from ms_bridge import welfare

STRATEGIES: tuple[str, ...] = ("MAUT-User", "MAUT-Artist", "MS-NSW")
METRICS: tuple[str, ...] = ("avg_user_utility", "artist_coverage", "fan_matches", "gini_exposure", "ms_nsw")

#: Users per generation block. Part of the generative definition: values depend
#: on (seed, block), so dense and candidate markets from one seed agree.
BLOCK_USERS = 1024
#: `candidates=None` keeps every artist while N·M is at most this.
DENSE_MAX_PAIRS = 20_000_000
#: Candidate width used when a market is too large to keep dense.
DEFAULT_CANDIDATES = 64


@dataclasses.dataclass(frozen=True)
class MarketConfig:
    """Parameters of the §3.2 generative process; defaults are the paper's.

    Normal parameters are (mean, standard deviation), truncated to [0, 1];
    uniform parameters are (low, high).
    """

    star_share: float = 0.1
    fan_prob: float = 0.05
    star_relevance: tuple[float, float] = (0.95, 0.05)
    fan_relevance: tuple[float, float] = (0.85, 0.02)
    nonfan_relevance: tuple[float, float] = (0.10, 0.05)
    star_discovery: tuple[float, float] = (0.1, 0.3)
    niche_discovery: tuple[float, float] = (0.8, 1.0)
    user_weights: tuple[float, float] = (0.9, 0.1)      # relevance, discovery
    artist_weights: tuple[float, float] = (0.5, 0.5)    # exposure, fan growth
    exposure_scale: float = 1.0                         # C

    def __post_init__(self):
        if not 0.0 <= self.star_share <= 1.0:
            raise ValueError(f"star_share must be in [0, 1], got {self.star_share!r}")
        if not 0.0 <= self.fan_prob <= 1.0:
            raise ValueError(f"fan_prob must be in [0, 1], got {self.fan_prob!r}")
        for name in ("star_relevance", "fan_relevance", "nonfan_relevance"):
            mu, sd = getattr(self, name)
            if not sd > 0:
                raise ValueError(f"{name} standard deviation must be > 0, got {sd!r}")
        for name in ("star_discovery", "niche_discovery"):
            lo, hi = getattr(self, name)
            if not 0.0 <= lo <= hi <= 1.0:
                raise ValueError(f"{name} must satisfy 0 <= low <= high <= 1, got {(lo, hi)!r}")
        for name in ("user_weights", "artist_weights"):
            if len(getattr(self, name)) != 2 or min(getattr(self, name)) < 0:
                raise ValueError(f"{name} must be two non-negative weights, got {getattr(self, name)!r}")
        if not self.exposure_scale > 0:
            raise ValueError(f"exposure_scale C must be > 0, got {self.exposure_scale!r}")


@dataclasses.dataclass(frozen=True)
class Market:
    """One trial's objective values, restricted to each user's candidate artists.

    Attributes:
        num_users, num_artists: N and M.
        is_star: (M,) bool, superstar flag per artist.
        candidates: (N, L) int32 artist index of each user's candidate slot;
            `arange(M)` in every row for a dense market (L = M).
        user_utility: (N, L) float32 `U_user` of (user, candidate).
        fan: (N, L) bool latent fan indicator of (user, candidate).
        config: the generating `MarketConfig`.
        dense: True when every user's candidates are all M artists.
    """

    num_users: int
    num_artists: int
    is_star: np.ndarray
    candidates: np.ndarray
    user_utility: np.ndarray
    fan: np.ndarray
    config: MarketConfig
    dense: bool

    @functools.cached_property
    def fan_value(self) -> np.ndarray:
        """(N, L) float64 artist-utility part that does not depend on popularity."""
        return self.config.artist_weights[1] * self.fan.astype(np.float64)

    @property
    def exposure_weight(self) -> float:
        """`w_exp · C`: SA gains `exposure_weight · sqrt(n_i)` from artist i."""
        return self.config.artist_weights[0] * self.config.exposure_scale

    def fan_matrix(self) -> sparse.csr_matrix:
        """(N, M) sparse latent-fan indicator over the candidate pairs."""
        rows, cols = np.nonzero(self.fan)
        return sparse.csr_matrix((np.ones(rows.size, dtype=bool), (rows, self.candidates[rows, cols])),
                                 shape=(self.num_users, self.num_artists))

    def artists(self, slots: np.ndarray) -> np.ndarray:
        """Artist index of each user's chosen candidate slot."""
        return self.candidates[np.arange(self.num_users), slots]


def _truncated_normal(rng: np.random.Generator, mu: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """Normal(mu, sd) truncated to [0, 1] by resampling rejected draws (exact)."""
    x = mu + sd * rng.standard_normal(mu.shape, dtype=np.float32)
    bad = np.flatnonzero((x < 0) | (x > 1))
    while bad.size:
        x.flat[bad] = mu.flat[bad] + sd.flat[bad] * rng.standard_normal(bad.size, dtype=np.float32)
        bad = bad[(x.flat[bad] < 0) | (x.flat[bad] > 1)]
    return x


def _block_values(rng: np.random.Generator, n_users: int, is_star: np.ndarray,
                  config: MarketConfig) -> tuple[np.ndarray, np.ndarray]:
    """Dense (B, M) user utility (float32) and fan indicator (bool) for one block."""
    f32 = np.float32
    m = is_star.size
    fan = (rng.random((n_users, m), dtype=f32) < config.fan_prob) & ~is_star
    star = np.broadcast_to(is_star, (n_users, m))
    mu = np.where(star, f32(config.star_relevance[0]),
                  np.where(fan, f32(config.fan_relevance[0]), f32(config.nonfan_relevance[0])))
    sd = np.where(star, f32(config.star_relevance[1]),
                  np.where(fan, f32(config.fan_relevance[1]), f32(config.nonfan_relevance[1])))
    relevance = _truncated_normal(rng, mu, sd)
    lo = np.where(is_star, f32(config.star_discovery[0]), f32(config.niche_discovery[0]))
    hi = np.where(is_star, f32(config.star_discovery[1]), f32(config.niche_discovery[1]))
    discovery = lo + (hi - lo) * rng.random((n_users, m), dtype=f32)
    utility = welfare.maut(np.stack([relevance, discovery], axis=-1),
                           np.asarray(config.user_weights, dtype=f32))
    return utility.astype(f32), fan


def _top_k(key: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Column indices of the k largest keys per row and whether each is a member (key > -inf)."""
    k = min(k, key.shape[1])
    if k == 0:
        empty = np.zeros((key.shape[0], 0), dtype=np.int64)
        return empty, empty.astype(bool)
    idx = np.argpartition(-key, k - 1, axis=1)[:, :k]
    return idx, np.isfinite(np.take_along_axis(key, idx, axis=1))


def _fan_positions(rng: np.random.Generator, n_users: int, n_niche: int, p: float) -> tuple[np.ndarray, np.ndarray]:
    """Sorted latent-fan positions in [0, n_niche) per user, as iid Bernoulli(p) via geometric gaps.

    Returns (positions (B, K), valid (B, K)); costs O(B·n_niche·p), not O(B·n_niche).
    """
    if p <= 0 or n_niche == 0:
        return np.zeros((n_users, 0), dtype=np.int64), np.zeros((n_users, 0), dtype=bool)
    width = int(np.ceil(n_niche * p + 8 * np.sqrt(n_niche * p) + 8))
    pos = np.cumsum(rng.geometric(p, size=(n_users, width)), axis=1) - 1
    while n_users and pos[:, -1].min() < n_niche:   # rare: extend rows that have not passed the end
        more = np.cumsum(rng.geometric(p, size=(n_users, width)), axis=1) + pos[:, -1:]
        pos = np.concatenate([pos, more], axis=1)
    return pos, pos < n_niche


def _block_candidates(rng: np.random.Generator, n_users: int, n_star: int, n_niche: int,
                      split: tuple[int, int, int], config: MarketConfig
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Candidate artists (B, L), their user utility and fan flag, without a (B, M) array.

    Stars: all sampled, the top k_star by utility kept. Fans: positions from
    `_fan_positions`, all sampled, top k_fan kept. Non-fan niche: k_nonfan
    artists drawn uniformly among the user's non-fan niche artists (their
    values are iid, so any subset has the right distribution).
    """
    f32 = np.float32
    k_star, k_fan, k_nonfan = split
    rows = np.arange(n_users)[:, None]

    def utility(shape, relevance, discovery):
        rel = _truncated_normal(rng, np.full(shape, relevance[0], f32), np.full(shape, relevance[1], f32))
        disc = discovery[0] + (discovery[1] - discovery[0]) * rng.random(shape, dtype=f32)
        return f32(config.user_weights[0]) * rel + f32(config.user_weights[1]) * disc

    star_u = utility((n_users, n_star), config.star_relevance, config.star_discovery)
    star_idx, star_ok = _top_k(star_u, k_star)

    fan_pos, fan_ok = _fan_positions(rng, n_users, n_niche, config.fan_prob)
    fan_u = utility(fan_pos.shape, config.fan_relevance, config.niche_discovery)
    fan_top, fan_top_ok = _top_k(np.where(fan_ok, fan_u, -np.inf), k_fan)

    draws = rng.integers(0, max(n_niche, 1), size=(n_users, 2 * k_nonfan + 8))
    keys = np.where(fan_ok, fan_pos + rows * (n_niche + 1), -1).ravel()
    keys = np.sort(keys[keys >= 0])
    draw_keys = draws + rows * (n_niche + 1)
    hit = np.searchsorted(keys, draw_keys)
    is_fan = (hit < keys.size) & (keys[np.minimum(hit, keys.size - 1)] == draw_keys)
    order = np.argsort(draws, axis=1, kind="stable")
    sorted_draws = np.take_along_axis(draws, order, axis=1)
    dup_sorted = np.zeros_like(sorted_draws, dtype=bool)
    dup_sorted[:, 1:] = sorted_draws[:, 1:] == sorted_draws[:, :-1]
    dup = np.empty_like(dup_sorted)
    np.put_along_axis(dup, order, dup_sorted, axis=1)
    usable = ~is_fan & ~dup & (n_niche > 0)
    pick = np.argsort(~usable, axis=1, kind="stable")[:, :k_nonfan]   # first usable draws
    nonfan_pos = np.take_along_axis(draws, pick, axis=1)
    nonfan_ok = np.take_along_axis(usable, pick, axis=1)
    nonfan_u = utility(nonfan_pos.shape, config.nonfan_relevance, config.niche_discovery)

    best_star = star_idx[np.arange(n_users), np.argmax(np.take_along_axis(star_u, star_idx, 1), 1)]
    artist = np.concatenate([star_idx, n_star + np.take_along_axis(fan_pos, fan_top, 1), n_star + nonfan_pos], 1)
    ok = np.concatenate([star_ok, fan_top_ok, nonfan_ok], axis=1)
    util = np.concatenate([np.take_along_axis(star_u, star_idx, 1), np.take_along_axis(fan_u, fan_top, 1),
                           nonfan_u], axis=1)
    fan = np.zeros(artist.shape, dtype=bool)
    fan[:, k_star:k_star + fan_top.shape[1]] = True
    # Empty slots repeat the user's best star: a duplicate candidate is a harmless no-op.
    fill_util = np.take_along_axis(star_u, best_star[:, None], 1)
    return (np.where(ok, artist, best_star[:, None]).astype(np.int32),
            np.where(ok, util, fill_util).astype(f32), fan & ok)


def _candidate_split(total: int, n_star: int, n_niche: int) -> tuple[int, int, int]:
    """Slots for (stars, fan artists, non-fan niche artists) out of `total`."""
    k_star = min(n_star, max(1, total // 4)) if n_star else 0
    k_nonfan = min(n_niche, total // 4)
    k_fan = min(n_niche, total - k_star - k_nonfan)
    return k_star, k_fan, k_nonfan


def generate_market(num_users: int, num_artists: int, seed: int | Sequence[int] = 0,
                    config: MarketConfig | None = None, candidates: int | None = None) -> Market:
    """Samples one trial of the §3.2 market, block by block.

    Args:
        num_users, num_artists: N and M (both >= 1).
        seed: an int or a tuple of ints (e.g. (seed, trial)); block b of
            `BLOCK_USERS` users draws from `SeedSequence([*seed, b])`.
        config: generative parameters (defaults: the paper's).
        candidates: per-user candidate artists kept. `None` keeps all M while
            N·M <= `DENSE_MAX_PAIRS`, else `DEFAULT_CANDIDATES`. With L < M a
            user keeps their top-L/4 stars and top-L/2 fan artists by user
            utility and L/4 random non-fan niche artists, sampled by
            `_block_candidates` in O(N·(M_star + M·fan_prob + L)) time and
            O(N·L) memory, never a (N, M) array (same distribution as the dense
            sampler, other random numbers; slots left empty repeat the user's
            best star).

    Example:
    >>> market = generate_market(5, 10, seed=3)
    >>> market.candidates.shape, int(market.is_star.sum())
    ((5, 10), 1)
    """
    for name, value in (("num_users", num_users), ("num_artists", num_artists)):
        if not (isinstance(value, (int, np.integer)) and value >= 1):
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    config = config or MarketConfig()
    seed_tuple = tuple(int(s) for s in (seed if isinstance(seed, Sequence) else (seed,)))
    if any(s < 0 for s in seed_tuple):
        raise ValueError(f"seed must be non-negative, got {seed!r}")
    n_star = int(round(config.star_share * num_artists))
    is_star = np.zeros(num_artists, dtype=bool)
    is_star[:n_star] = True
    if candidates is None:
        candidates = num_artists if num_users * num_artists <= DENSE_MAX_PAIRS else DEFAULT_CANDIDATES
    if not (isinstance(candidates, (int, np.integer)) and candidates >= 1):
        raise ValueError(f"candidates must be a positive integer or None, got {candidates!r}")
    dense = candidates >= num_artists
    split = _candidate_split(int(candidates), n_star, num_artists - n_star)
    if not dense and n_star == 0:
        raise ValueError("a candidate-restricted market needs at least one superstar; "
                         f"star_share={config.star_share} gives none for {num_artists} artists")

    cand_blocks, util_blocks, fan_blocks = [], [], []
    for b, start in enumerate(range(0, num_users, BLOCK_USERS)):
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([*seed_tuple, b])))
        size = min(BLOCK_USERS, num_users - start)
        if dense:
            utility, fan = _block_values(rng, size, is_star, config)
            util_blocks.append(utility)
            fan_blocks.append(fan)
            continue
        idx, utility, fan = _block_candidates(rng, size, n_star, num_artists - n_star, split, config)
        cand_blocks.append(idx)
        util_blocks.append(utility)
        fan_blocks.append(fan)
    if dense:
        cand = np.broadcast_to(np.arange(num_artists, dtype=np.int32), (num_users, num_artists))
    else:
        cand = np.concatenate(cand_blocks)
    return Market(num_users, num_artists, is_star, np.ascontiguousarray(cand),
                  np.concatenate(util_blocks), np.concatenate(fan_blocks), config, dense)


# --- objectives -------------------------------------------------------------

def _check_strategy(strategy: str | tuple[float, float]) -> None:
    if isinstance(strategy, tuple):
        if len(strategy) != 2 or min(strategy) < 0:
            raise ValueError(f"a linear target must be two non-negative weights (λ_user, λ_artist), got {strategy!r}")
        return
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; known: {STRATEGIES}")


def _objective(strategy: str | tuple[float, float], su: np.ndarray, sa: np.ndarray, n: int) -> np.ndarray:
    """Target from totals SU = Σ U_user and SA = Σ U_artist over N pairs.

    A tuple (λ_user, λ_artist) is the linear target `(λ_user SU + λ_artist SA) / N`
    (any scalarisation; the MAUT strategies are (1, 0) and (0, 1)).
    """
    if isinstance(strategy, tuple):
        return (strategy[0] * su + strategy[1] * sa) / n
    if strategy == "MAUT-User":
        return su / n
    if strategy == "MAUT-Artist":
        return sa / n
    return np.sqrt(np.maximum(su, 0.0) * np.maximum(sa, 0.0)) / n


def _totals(market: Market, slots: np.ndarray) -> tuple[float, float, np.ndarray]:
    rows = np.arange(market.num_users)
    counts = np.bincount(market.candidates[rows, slots], minlength=market.num_artists)
    su = float(np.sum(market.user_utility[rows, slots], dtype=np.float64))
    sa = float(market.exposure_weight * np.sqrt(counts).sum() + market.fan_value[rows, slots].sum())
    return su, sa, counts


def objective_value(market: Market, slots: np.ndarray, strategy: str) -> float:
    """Value of `strategy`'s target for an allocation given as candidate slots."""
    _check_strategy(strategy)
    su, sa, _ = _totals(market, np.asarray(slots))
    return float(_objective(strategy, np.float64(su), np.float64(sa), market.num_users))


# --- optimisers ---------------------------------------------------------------

def exact_allocation(market: Market, strategy: str, max_allocations: int = 2_000_000) -> tuple[np.ndarray, float]:
    """Global optimum by enumerating all L^N slot assignments (tiny markets only).

    Returns:
        (slots, value): an optimal candidate slot per user and the target value.

    Example:
    >>> market = generate_market(4, 3, seed=1, config=MarketConfig(star_share=0.34, fan_prob=0.5))
    >>> slots, value = exact_allocation(market, "MS-NSW")
    >>> abs(value - objective_value(market, slots, "MS-NSW")) < 1e-12
    True
    """
    _check_strategy(strategy)
    n, width = market.candidates.shape
    total = width ** n
    if total > max_allocations:
        raise ValueError(f"{width}^{n} = {total} allocations exceed max_allocations={max_allocations}")
    rows = np.arange(n)
    uu = market.user_utility.astype(np.float64)
    fv = market.fan_value
    best_value, best_slots = -np.inf, None
    chunk = max(1, min(total, 200_000))
    codes_iter = range(0, total, chunk)
    powers = width ** np.arange(n - 1, -1, -1, dtype=np.int64)
    for start in codes_iter:
        codes = np.arange(start, min(total, start + chunk), dtype=np.int64)
        slots = (codes[:, None] // powers[None, :]) % width            # (C, N)
        artists = market.candidates[rows[None, :], slots]                # (C, N)
        counts = np.zeros((codes.size, market.num_artists))
        np.add.at(counts, (np.repeat(np.arange(codes.size), n), artists.ravel()), 1.0)
        su = uu[rows[None, :], slots].sum(axis=1)
        sa = market.exposure_weight * np.sqrt(counts).sum(axis=1) + fv[rows[None, :], slots].sum(axis=1)
        values = _objective(strategy, su, sa, n)
        i = int(np.argmax(values))
        if values[i] > best_value:
            best_value, best_slots = float(values[i]), slots[i].copy()
    return best_slots, best_value


def _prefix_choice(strategy: str, su: float, sa: float, n: int, d_su: np.ndarray, d_sa: np.ndarray,
                   current: float) -> int:
    """Length of the prefix of additive moves that maximises the target (0 = none)."""
    values = _objective(strategy, su + np.cumsum(d_su), sa + np.cumsum(d_sa), n)
    k = int(np.argmax(values))
    return k + 1 if values[k] > current else 0


def _disjoint(*resources: np.ndarray) -> np.ndarray:
    """Rows (sorted by priority) that are the first to use every one of their resources.

    Each argument holds one resource id per row; kept rows share no resource
    and the first row is always kept.
    """
    ranks = np.arange(resources[0].size)
    first = np.full(int(max(r.max() for r in resources)) + 1, ranks.size)
    np.minimum.at(first, np.concatenate(resources), np.tile(ranks, len(resources)))
    return np.logical_and.reduce([first[r] == ranks for r in resources])


def _gain(strategy: str | tuple[float, float], su: float, sa: float, d_su: np.ndarray, d_sa: np.ndarray,
          n: int) -> np.ndarray:
    """Change of the target when SU, SA change by (d_su, d_sa), without cancellation.

    For MS-NSW, `sqrt((SU+a)(SA+b)) − sqrt(SU·SA) = (a·SA + b·SU + a·b) / (sqrt((SU+a)(SA+b)) + sqrt(SU·SA))`,
    accurate even in float32 where `SU + a` would round away a small move.
    """
    if isinstance(strategy, tuple):
        return (strategy[0] * d_su + strategy[1] * d_sa) / n
    if strategy == "MAUT-User":
        return d_su / n
    if strategy == "MAUT-Artist":
        return d_sa / n
    dtype = d_su.dtype
    su_, sa_ = dtype.type(su), dtype.type(sa)
    numerator = d_su * sa_ + d_sa * su_ + d_su * d_sa
    after = np.sqrt(np.maximum((su_ + d_su) * (sa_ + d_sa), 0))
    return numerator / (n * (after + dtype.type(np.sqrt(su * sa))))


#: Above this many (user, candidate) pairs, move gains are screened in float32
#: (then re-evaluated exactly in float64 for the moves considered).
FLOAT32_SCREEN_PAIRS = 2_000_000


def _move_round(market: Market, strategy: str, slots: np.ndarray, tol: float) -> bool:
    """One round of single-user reassignments; updates `slots` in place."""
    n_users = market.num_users
    rows = np.arange(n_users)
    su, sa, counts = _totals(market, slots)
    current = float(_objective(strategy, np.float64(su), np.float64(sa), n_users))
    dtype = np.float32 if market.candidates.size > FLOAT32_SCREEN_PAIRS else np.float64
    cur_artist = market.candidates[rows, slots]
    fv = market.fan_value
    root = np.sqrt(counts.astype(np.float64))
    join = market.exposure_weight * (np.sqrt(counts + 1.0) - root)
    leave = market.exposure_weight * (np.sqrt(np.maximum(counts - 1.0, 0.0)) - root)
    cur_uu = market.user_utility[rows, slots].astype(np.float64)
    cur_sa = fv[rows, slots] - leave[cur_artist]       # what leaving costs the artist side
    d_su = market.user_utility.astype(dtype) - cur_uu.astype(dtype)[:, None]
    d_sa = fv.astype(dtype) + join.astype(dtype)[market.candidates] - cur_sa.astype(dtype)[:, None]
    gain = _gain(strategy, su, sa, d_su, d_sa, n_users)
    gain[market.candidates == cur_artist[:, None]] = -np.inf
    best = np.argmax(gain, axis=1)
    movers = np.flatnonzero(gain[rows, best] > (tol if dtype == np.float64 else 0))
    if movers.size == 0:
        return False
    dst_slot = best[movers]
    # exact float64 re-evaluation of the considered moves
    m_su = market.user_utility[movers, dst_slot].astype(np.float64) - cur_uu[movers]
    m_sa = fv[movers, dst_slot] + join[market.candidates[movers, dst_slot]] - cur_sa[movers]
    m_gain = _gain(strategy, su, sa, m_su, m_sa, n_users)
    ok = m_gain > tol
    movers, dst_slot, m_su, m_sa, m_gain = movers[ok], dst_slot[ok], m_su[ok], m_sa[ok], m_gain[ok]
    if movers.size == 0:
        return False
    order = np.argsort(-m_gain, kind="stable")
    movers, dst_slot, m_su = movers[order], dst_slot[order], m_su[order]
    dst = market.candidates[movers, dst_slot]
    # One arrival per artist per round (else every user piles onto the same empty
    # artist); any number of departures. Sequential popularity accounting makes
    # every prefix's SU and SA exact.
    keep = _first_occurrence(dst)
    movers, dst_slot, m_su, src, dst = movers[keep], dst_slot[keep], m_su[keep], cur_artist[movers[keep]], dst[keep]
    m_sa = (fv[movers, dst_slot] - fv[movers, slots[movers]]
            + _sequential_exposure(src, dst, counts, market.exposure_weight))
    k = _prefix_choice(strategy, su, sa, n_users, m_su, m_sa, current)
    if k == 0:
        return False
    slots[movers[:k]] = dst_slot[:k]
    return True


def _first_occurrence(keys: np.ndarray) -> np.ndarray:
    """Mask of each key's first occurrence."""
    _, first = np.unique(keys, return_index=True)
    mask = np.zeros(keys.size, dtype=bool)
    mask[first] = True
    return mask


def _sequential_exposure(src: np.ndarray, dst: np.ndarray, counts: np.ndarray, weight: float) -> np.ndarray:
    """Exact change of `weight·Σ_i sqrt(n_i)` of each move when moves src[t] → dst[t] apply in order t.

    Move t sees the popularity left by moves 0..t-1 (src[t] != dst[t]).
    """
    t = np.arange(src.size)
    artist = np.concatenate([src, dst])
    step = np.concatenate([-np.ones(src.size), np.ones(dst.size)])
    order = np.lexsort((np.concatenate([t, t]), artist))
    a, e = artist[order], step[order]
    running = np.cumsum(e)
    start = np.flatnonzero(np.r_[True, a[1:] != a[:-1]])
    group_offset = np.repeat(running[start] - e[start], np.diff(np.r_[start, a.size]))
    before = counts[a] + running - e - group_offset       # popularity just before this event
    change = np.empty(a.size)
    change[order] = weight * (np.sqrt(np.maximum(before + e, 0.0)) - np.sqrt(before))
    return change[:src.size] + change[src.size:]


def _swap_round(market: Market, strategy: str, slots: np.ndarray, tol: float) -> bool:
    """One round of pairwise swaps (dense markets): popularity is unchanged."""
    n_users = market.num_users
    rows = np.arange(n_users)
    su, sa, _ = _totals(market, slots)
    current = float(_objective(strategy, np.float64(su), np.float64(sa), n_users))
    art = market.candidates[rows, slots]           # dense: slot == artist
    uu = market.user_utility[:, art].astype(np.float64)   # [u, v] = U_user(u, artist of v)
    fv = market.fan_value[:, art]
    cur_uu, cur_fv = np.diagonal(uu).copy(), np.diagonal(fv).copy()
    d_su = uu + uu.T - cur_uu[:, None] - cur_uu[None, :]
    d_sa = fv + fv.T - cur_fv[:, None] - cur_fv[None, :]
    gain = _objective(strategy, su + d_su, sa + d_sa, n_users) - current
    gain[np.tril_indices(n_users)] = -np.inf
    gain[art[:, None] == art[None, :]] = -np.inf
    u, v = np.nonzero(gain > tol)
    if u.size == 0:
        return False
    order = np.argsort(-gain[u, v], kind="stable")
    u, v = u[order], v[order]
    keep = _disjoint(u, v)  # user-disjoint swaps add up exactly
    u, v = u[keep], v[keep]
    k = _prefix_choice(strategy, su, sa, n_users, d_su[u, v], d_sa[u, v], current)
    if k == 0:
        return False
    u, v = u[:k], v[:k]
    slots[u], slots[v] = art[v], art[u]
    return True


def _chain_round(market: Market, strategy: str, slots: np.ndarray, tol: float) -> bool:
    """One round of two-user ejection chains (dense markets).

    User u takes the artist of user v, who moves on to a third artist k: the
    popularity of u's old artist drops by one, that of k grows by one, that of
    v's artist is unchanged — a move no single reassignment or swap reaches
    without passing through a worse allocation. For each v, k is v's best (or
    second best, when the best is u's artist) destination under the target's
    linearisation at the current totals.
    """
    n_users, n_art = market.num_users, market.num_artists
    rows = np.arange(n_users)
    su, sa, counts = _totals(market, slots)
    current = float(_objective(strategy, np.float64(su), np.float64(sa), n_users))
    art = market.candidates[rows, slots]
    uu = market.user_utility.astype(np.float64)
    fv = market.fan_value
    cur_uu, cur_fv = uu[rows, art], fv[rows, art]
    root = np.sqrt(counts.astype(np.float64))
    join = market.exposure_weight * (np.sqrt(counts + 1.0) - root)
    leave = market.exposure_weight * (np.sqrt(np.maximum(counts - 1.0, 0.0)) - root)
    if isinstance(strategy, tuple):
        lam_u, lam_a = strategy
    else:
        lam_u, lam_a = {"MAUT-User": (1.0, 0.0), "MAUT-Artist": (0.0, 1.0)}.get(strategy, (sa, su))
    d_su = uu - cur_uu[:, None]                      # v's move to k, v's artist count unchanged
    d_sa = fv - cur_fv[:, None] + join[None, :]
    score = lam_u * d_su + lam_a * d_sa
    score[rows, art] = -np.inf
    if n_art < 3:
        return False
    top2 = np.argpartition(-score, 1, axis=1)[:, :2]
    order = np.argsort(-np.take_along_axis(score, top2, axis=1), axis=1)
    top2 = np.take_along_axis(top2, order, axis=1)              # (N, 2): best, second best k
    k = np.where(top2[None, :, 0] == art[:, None], top2[None, :, 1], top2[None, :, 0])  # [u, v]
    e_su = uu[:, art] - cur_uu[:, None]                          # [u, v]: u takes v's artist
    e_sa = fv[:, art] - cur_fv[:, None] + leave[art][:, None]
    t_su = e_su + d_su[rows[None, :], k]
    t_sa = e_sa + d_sa[rows[None, :], k]
    gain = _objective(strategy, su + t_su, sa + t_sa, n_users) - current
    gain[art[:, None] == art[None, :]] = -np.inf                # includes u == v
    u, v = np.nonzero(gain > tol)
    if u.size == 0:
        return False
    order = np.argsort(-gain[u, v], kind="stable")
    u, v = u[order], v[order]
    kk = k[u, v]
    keep = _disjoint(u, v, n_users + art[u], n_users + kk)
    u, v, kk = u[keep], v[keep], kk[keep]
    n_pick = _prefix_choice(strategy, su, sa, n_users, t_su[u, v], t_sa[u, v], current)
    if n_pick == 0:
        return False
    u, v, kk = u[:n_pick], v[:n_pick], kk[:n_pick]
    slots[u], slots[v] = art[v], kk
    return True


def _assignment_round(market: Market, strategy: str | tuple[float, float], slots: np.ndarray,
                      tol: float) -> bool:
    """Best re-matching of users to the current popularity profile (dense markets).

    With every artist's popularity fixed, the exposure terms are fixed and the
    target's linearisation `λ_user·U_user + λ_artist·fan value` is a linear
    assignment problem over the N recommendation slots (artist i repeated n_i
    times), solved exactly (scipy `linear_sum_assignment`). This covers
    exchanges along cycles of any length. Accepted when the true target improves.
    """
    from scipy.optimize import linear_sum_assignment

    n_users = market.num_users
    rows = np.arange(n_users)
    su, sa, _ = _totals(market, slots)
    current = float(_objective(strategy, np.float64(su), np.float64(sa), n_users))
    if isinstance(strategy, tuple):
        lam_u, lam_a = strategy
    else:
        lam_u, lam_a = {"MAUT-User": (1.0, 0.0), "MAUT-Artist": (0.0, 1.0)}.get(strategy, (sa, su))
    art = market.candidates[rows, slots]
    slot_artist = np.sort(art)
    score = lam_u * market.user_utility[:, slot_artist].astype(np.float64) + lam_a * market.fan_value[:, slot_artist]
    _, cols = linear_sum_assignment(score, maximize=True)
    new_art = slot_artist[cols]
    new_su = float(market.user_utility[rows, new_art].sum(dtype=np.float64))
    new_sa = sa - float(market.fan_value[rows, art].sum()) + float(market.fan_value[rows, new_art].sum())
    if float(_objective(strategy, np.float64(new_su), np.float64(new_sa), n_users)) <= current + tol:
        return False
    slots[:] = new_art
    return True


def local_search(market: Market, strategy: str, init: np.ndarray, max_rounds: int = 10_000,
                 swaps: bool | None = None, tol: float = 1e-12) -> np.ndarray:
    """Best-improvement local search from `init` (candidate slots); returns slots.

    Each round evaluates every (user, candidate) reassignment against the
    current popularity (N·L vectorised), keeps each user's best improving move,
    ranks them by gain, keeps one arrival per artist, computes every prefix's
    exact target with sequential popularity accounting and applies the best
    prefix. When no reassignment improves (dense markets with N <= 3000 by
    default) it tries pairwise swaps, two-user ejection chains, then an exact
    re-matching at fixed popularity. Stops at a local optimum or `max_rounds`.

    Example:
    >>> market = generate_market(50, 10, seed=0)
    >>> slots = local_search(market, "MAUT-Artist", np.zeros(50, dtype=np.int64))
    >>> objective_value(market, slots, "MAUT-Artist") > objective_value(market, np.zeros(50, int), "MAUT-Artist")
    True
    """
    _check_strategy(strategy)
    slots = np.array(init, dtype=np.int64, copy=True)
    if slots.shape != (market.num_users,) or slots.min() < 0 or slots.max() >= market.candidates.shape[1]:
        raise ValueError(f"init must hold one candidate slot in [0, {market.candidates.shape[1]}) per user, "
                         f"got shape {slots.shape}")
    if swaps is None:
        swaps = market.dense and market.num_users <= 3000
    if swaps and not market.dense:
        raise ValueError("swap moves need a dense market (every artist a candidate of every user)")
    scale_tol = tol * max(1.0, abs(objective_value(market, slots, strategy)))
    for _ in range(max_rounds):
        if _move_round(market, strategy, slots, scale_tol):
            continue
        if not (swaps and (_swap_round(market, strategy, slots, scale_tol)
                           or _chain_round(market, strategy, slots, scale_tol)
                           or _assignment_round(market, strategy, slots, scale_tol))):
            break
    return slots


def solve(market: Market, strategy: str, restarts: int = 0, seed: int = 0, max_rounds: int = 10_000) -> np.ndarray:
    """Allocation maximising `strategy`'s target; returns the artist index per user.

    MAUT-User is separable and solved exactly by a per-user argmax. MAUT-Artist
    runs `local_search` from the MAUT-User allocation; MS-NSW from whichever
    MAUT optimum has the higher MS-NSW. `restarts` adds searches from uniformly random allocations; the best
    result is kept, so MS-NSW is never below either MAUT allocation on its own
    target.
    """
    return market.artists(_solve_slots(market, strategy, restarts, seed, max_rounds, {}))


def _solve_slots(market: Market, strategy: str, restarts: int, seed: int, max_rounds: int,
                 cache: dict) -> np.ndarray:
    _check_strategy(strategy)
    if strategy in cache:
        return cache[strategy]
    if strategy == "MAUT-User":  # separable: the per-user argmax is the global optimum
        cache[strategy] = np.argmax(market.user_utility, axis=1)
        return cache[strategy]
    if strategy == "MAUT-Artist":
        starts = [_solve_slots(market, "MAUT-User", 0, seed, max_rounds, cache)]
    else:  # the better MAUT optimum on MS-NSW: the result is never below either
        maut = [_solve_slots(market, s, restarts, seed, max_rounds, cache) for s in ("MAUT-User", "MAUT-Artist")]
        starts = [max(maut, key=lambda slots: objective_value(market, slots, strategy))]
    rng = np.random.default_rng(seed)
    starts += [rng.integers(0, market.candidates.shape[1], market.num_users) for _ in range(restarts)]
    best, best_value = None, -np.inf
    for init in starts:
        slots = local_search(market, strategy, init, max_rounds=max_rounds)
        value = objective_value(market, slots, strategy)
        if value > best_value:
            best, best_value = slots, value
    cache[strategy] = best
    return best


def allocation_metrics(market: Market, allocation: np.ndarray) -> dict[str, float]:
    """Table 1 metrics of an allocation (artist index per user).

    Returns avg_user_utility, avg_artist_utility, artist_coverage (share of
    the M artists recommended), fan_matches (count), gini_exposure (Gini of the
    recommendation counts over all M artists, zeros included) and ms_nsw
    (`welfare.allocation_welfare` of the recommended pairs).
    """
    allocation = np.asarray(allocation)
    if allocation.shape != (market.num_users,):
        raise ValueError(f"allocation must hold one artist per user, shape ({market.num_users},), "
                         f"got {allocation.shape}")
    rows = np.arange(market.num_users)
    slot_match = market.candidates == allocation[:, None]
    if not slot_match.any(axis=1).all():
        bad = np.flatnonzero(~slot_match.any(axis=1))
        raise ValueError(f"users {bad[:5].tolist()} were given artists outside their candidates")
    slots = np.argmax(slot_match, axis=1)
    counts = welfare.exposure_counts(allocation, market.num_artists)
    exposure = market.config.exposure_scale / np.sqrt(counts[allocation])
    fan = market.fan[rows, slots].astype(np.float64)
    user_u = market.user_utility[rows, slots].astype(np.float64)
    artist_u = welfare.maut(np.stack([exposure, fan], axis=-1), np.asarray(market.config.artist_weights))
    return {
        "avg_user_utility": float(user_u.mean()),
        "avg_artist_utility": float(artist_u.mean()),
        "artist_coverage": welfare.coverage(allocation, market.num_artists),
        "fan_matches": float(welfare.fan_matches(allocation, market.fan_matrix())),
        "gini_exposure": float(welfare.gini(counts)),
        "ms_nsw": welfare.allocation_welfare(user_u, artist_u),
    }


def run_trials(num_users: int = 1000, num_artists: int = 100, trials: int = 10, seed: int = 0,
               config: MarketConfig | None = None, candidates: int | None = None, restarts: int = 0,
               strategies: Iterable[str] = STRATEGIES, progress=None) -> pd.DataFrame:
    """Runs every strategy on `trials` independent markets (seed (seed, trial)).

    Returns:
        Long frame: one row per (trial, strategy) with every metric.
    """
    if not (isinstance(trials, (int, np.integer)) and trials >= 1):
        raise ValueError(f"trials must be a positive integer, got {trials!r}")
    strategies = list(strategies)
    for s in strategies:
        _check_strategy(s)
    records = []
    for trial in range(trials):
        market = generate_market(num_users, num_artists, seed=(seed, trial), config=config, candidates=candidates)
        cache: dict = {}
        for strategy in strategies:
            slots = _solve_slots(market, strategy, restarts, seed, 10_000, cache)
            records.append({"trial": trial, "strategy": strategy,
                            **allocation_metrics(market, market.artists(slots))})
        if progress is not None:
            progress(trial)
    return pd.DataFrame.from_records(records)


def summarise(per_trial: pd.DataFrame, metrics: Sequence[str] = METRICS) -> pd.DataFrame:
    """Mean and sample std (ddof=1; NaN for one trial) per strategy.

    Rows in `STRATEGIES` order, index named `strategy`, columns
    `<metric>, <metric>_std` for each metric.
    """
    missing = [c for c in ("strategy", *metrics) if c not in per_trial.columns]
    if missing:
        raise ValueError(f"per-trial frame lacks columns {missing}")
    grouped = per_trial.groupby("strategy", sort=False)[list(metrics)]
    mean, std = grouped.mean(), grouped.std(ddof=1)
    order = [s for s in STRATEGIES if s in mean.index] + [s for s in mean.index if s not in STRATEGIES]
    columns = {}
    for metric in metrics:
        columns[metric] = mean.loc[order, metric]
        columns[f"{metric}_std"] = std.loc[order, metric]
    table = pd.DataFrame(columns)
    table.index.name = "strategy"
    return table


__all__ = ["STRATEGIES", "METRICS", "MarketConfig", "Market", "generate_market", "exact_allocation",
           "local_search", "solve", "objective_value", "allocation_metrics", "run_trials", "summarise"]
