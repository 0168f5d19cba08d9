"""Welfare of recommendations: MAUT utilities, (MS-)NSW, Gini, coverage, fan matches.

Numpy functions (`maut`, `nsw`, `ms_nsw`, `log_nsw`, `list_welfare`,
`allocation_welfare`) accept anything `np.asarray` takes, TensorFlow eager
tensors included. Their `keras.ops` twins (`ops_maut`, `ops_nsw`, `ops_ms_nsw`,
`ops_log_nsw`, `ops_list_welfare`) work on symbolic tensors inside models and
give the same numbers; they check shapes but not values (values are only known
at run time). Keras is imported lazily, so numpy users never load TensorFlow.

Conventions (SPEC §1-2): objectives are scaled to [0, 1] before they enter a
utility, weights are non-negative, so utilities are >= 0 and a utility of
exactly 0 gives welfare 0 (axiom CSC). NaN (unknown) propagates.

Example:
>>> import numpy as np
>>> u_user = maut(np.array([[1.0, 0.0], [0.5, 0.5]]), np.array([0.9, 0.1]))
>>> u_user
array([0.9, 0.5])
>>> round(float(ms_nsw(0.9, 0.4)), 12)
0.6
>>> float(gini(np.array([0.0, 0.0, 0.0, 4.0])))
0.75
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: Default ε of `log_nsw`: keeps log and its gradient (at most 1/ε) finite at
#: U = 0 while moving log U by less than 1e-4 for any U >= 0.01.
LOG_EPS = 1e-6


def _array(values: Any, name: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise ValueError(f"{name} must be numeric, got dtype {arr.dtype}")
    return arr.astype(np.result_type(arr.dtype, np.float32)) if arr.dtype.kind in "biu" else arr


def _check_nonnegative(arr: np.ndarray, name: str) -> None:
    bad = arr < 0  # NaN compares False: unknown values pass and propagate
    if np.any(bad):
        raise ValueError(f"{name} must be >= 0; got {int(bad.sum())} negative value(s), "
                         f"first: {arr[bad].ravel()[:5].tolist()}")


def _check_weights(objectives_shape: tuple, weights: np.ndarray) -> None:
    if weights.ndim == 0:
        raise ValueError(f"weights must have an objectives axis, got a scalar {weights!r}")
    if len(objectives_shape) == 0 or objectives_shape[-1] != weights.shape[-1]:
        raise ValueError(f"objectives last axis {objectives_shape[-1:] or '()'} does not match "
                         f"weights shape {tuple(weights.shape)}")


def _check_stakeholders(shape: tuple, name: str = "utilities") -> None:
    if len(shape) == 0 or shape[-1] is None or shape[-1] < 2:
        raise ValueError(f"{name} last axis = stakeholders must have size >= 2, got shape {tuple(shape)}")


def maut(objectives: Any, weights: Any) -> np.ndarray:
    """MAUT utility `Σ_k w_k · o_k` over the last axis (eq. 2).

    Args:
        objectives: scaled objective values, shape (..., K), all >= 0.
        weights: non-negative weights, shape (K,) or broadcastable (..., K).

    Returns:
        Utilities of shape (...,).

    Example:
    >>> float(maut([0.5, 1.0], [0.5, 0.5]))
    0.75
    """
    o = _array(objectives, "objectives")
    w = _array(weights, "weights")
    _check_weights(o.shape, w)
    _check_nonnegative(w, "weights")
    _check_nonnegative(o, "objectives")
    return np.sum(o * w, axis=-1)


def nsw(utilities: Any) -> np.ndarray:
    """Nash social welfare `(Π_s U_s)^(1/S)` over the last axis (eq. 3), any S >= 2.

    Computed as `exp(mean_s log U_s)`, so thousands of factors never underflow;
    a stakeholder with utility exactly 0 gives welfare 0.

    Example:
    >>> float(nsw([0.5, 2.0]))
    1.0
    >>> float(nsw([0.0, 3.0, 5.0]))
    0.0
    """
    u = _array(utilities, "utilities")
    _check_stakeholders(u.shape)
    _check_nonnegative(u, "utilities")
    with np.errstate(divide="ignore"):
        return np.exp(np.mean(np.log(u), axis=-1))


def ms_nsw(u_user: Any, u_artist: Any) -> np.ndarray:
    """Two-sided MS-NSW `sqrt(U_user · U_artist)` (eq. 4), broadcasting the inputs.

    Example:
    >>> float(ms_nsw(0.25, 1.0))
    0.5
    """
    a, b = np.broadcast_arrays(_array(u_user, "u_user"), _array(u_artist, "u_artist"))
    return nsw(np.stack([a, b], axis=-1))


def log_nsw(utilities: Any, eps: float = LOG_EPS) -> np.ndarray:
    """Log-domain welfare `mean_s log(U_s + eps)` for gradient-based code.

    `eps` (default `LOG_EPS` = 1e-6) keeps the value and gradient finite when a
    utility is 0; `exp(log_nsw(U, 0))` equals `nsw(U)`.

    Example:
    >>> round(float(log_nsw([1.0, 1.0])), 6)
    1e-06
    """
    if not eps >= 0:
        raise ValueError(f"eps must be >= 0, got {eps!r}")
    u = _array(utilities, "utilities")
    _check_stakeholders(u.shape)
    _check_nonnegative(u, "utilities")
    with np.errstate(divide="ignore"):
        return np.mean(np.log(u + eps), axis=-1)


def list_welfare(user_utils: Any, artist_utils: Any) -> np.ndarray:
    """Welfare of a list: `sqrt(mean_i U_user_i · mean_i U_artist_i)` over the last axis.

    Args:
        user_utils, artist_utils: per-item utilities with ground-truth
            objectives, same shape (..., n_items).

    Example:
    >>> float(list_welfare([1.0, 0.0], [0.0, 0.5]))
    0.3535533905932738
    """
    uu = _array(user_utils, "user_utils")
    au = _array(artist_utils, "artist_utils")
    if uu.shape != au.shape or uu.ndim == 0 or uu.shape[-1] == 0:
        raise ValueError(f"user_utils shape {uu.shape} and artist_utils shape {au.shape} "
                         "must be equal and have a non-empty items axis")
    return ms_nsw(np.mean(uu, axis=-1), np.mean(au, axis=-1))


def allocation_welfare(user_utils: Any, artist_utils: Any) -> float:
    """Welfare of an allocation across a population (paper §3.2).

    The means are taken over every (user, item) pair recommended, whatever the
    array shape (e.g. (n_users,) for K = 1 or (n_users, K)).

    Example:
    >>> allocation_welfare([[0.8, 0.2], [0.5, 0.5]], [[0.1, 0.3], [0.2, 0.2]])
    0.31622776601683794
    """
    uu = _array(user_utils, "user_utils")
    au = _array(artist_utils, "artist_utils")
    if uu.shape != au.shape or uu.size == 0:
        raise ValueError(f"user_utils shape {uu.shape} and artist_utils shape {au.shape} "
                         "must be equal and non-empty")
    return float(ms_nsw(np.mean(uu, dtype=np.float64), np.mean(au, dtype=np.float64)))


def gini(values: Any) -> np.ndarray:
    """Gini coefficient of non-negative values over the last axis.

    `G = Σ_i Σ_j |x_i − x_j| / (2 n² mean)`, computed from the sorted values;
    0 for equal values (all zeros included), (n−1)/n when one holds everything.

    Example:
    >>> float(gini([1.0, 1.0, 1.0]))
    0.0
    """
    x = _array(values, "values").astype(np.float64)
    if x.ndim == 0 or x.shape[-1] == 0:
        raise ValueError(f"gini needs at least one value on the last axis, got shape {x.shape}")
    _check_nonnegative(x, "values")
    n = x.shape[-1]
    xs = np.sort(x, axis=-1)
    total = xs.sum(axis=-1)
    ranks = np.arange(1, n + 1, dtype=np.float64)
    weighted = np.sum(ranks * xs, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        g = 2.0 * weighted / (n * total) - (n + 1.0) / n
    return np.where(total > 0, g, 0.0)


def _artist_indices(recommended_artists: Any, n_artists: int) -> np.ndarray:
    if not (isinstance(n_artists, (int, np.integer)) and n_artists >= 1):
        raise ValueError(f"n_artists must be a positive integer, got {n_artists!r}")
    idx = np.asarray(recommended_artists)
    if idx.size and not np.issubdtype(idx.dtype, np.integer):
        raise ValueError(f"recommended artists must be integer indices, got dtype {idx.dtype}")
    bad = (idx < 0) | (idx >= n_artists)
    if np.any(bad):
        raise ValueError(f"artist indices must be in [0, {n_artists}); got {idx[bad].ravel()[:5].tolist()}")
    return idx.astype(np.int64).ravel()


def exposure_counts(recommended_artists: Any, n_artists: int) -> np.ndarray:
    """Number of recommendations each artist receives (zeros included).

    Example:
    >>> exposure_counts([0, 2, 2], 4)
    array([1, 0, 2, 0])
    """
    return np.bincount(_artist_indices(recommended_artists, n_artists), minlength=n_artists)


def coverage(recommended_artists: Any, n_artists: int) -> float:
    """Share of the `n_artists` artists recommended at least once.

    Example:
    >>> coverage([0, 0, 3], 4)
    0.5
    """
    return float(np.count_nonzero(exposure_counts(recommended_artists, n_artists)) / n_artists)


def fan_matches(allocation: Any, fans: Any) -> int:
    """Count of recommendations where the user is a latent fan of the artist.

    Args:
        allocation: integer artist index per user, shape (n_users,) or
            (n_users, K); row u holds user u's recommendations.
        fans: fan indicator of shape (n_users, n_artists): a dense boolean /
            0-1 array or a scipy sparse matrix.

    Example:
    >>> fan_matches([1, 0], np.array([[0, 1], [0, 1]], dtype=bool))
    1
    """
    alloc = np.asarray(allocation)
    if alloc.ndim == 1:
        alloc = alloc[:, None]
    if alloc.ndim != 2:
        raise ValueError(f"allocation must have shape (n_users,) or (n_users, K), got {alloc.shape}")
    shape = getattr(fans, "shape", None)
    if shape is None or len(shape) != 2 or shape[0] != alloc.shape[0]:
        raise ValueError(f"fans must have shape (n_users={alloc.shape[0]}, n_artists), got {shape}")
    idx = _artist_indices(alloc, int(shape[1])).reshape(alloc.shape)
    rows = np.repeat(np.arange(alloc.shape[0]), alloc.shape[1])
    if hasattr(fans, "tocsr"):  # scipy sparse
        hits = np.asarray(fans.tocsr()[rows, idx.ravel()]).ravel()
    else:
        hits = np.asarray(fans)[rows, idx.ravel()]
    return int(np.count_nonzero(hits))


# --- keras.ops twins -------------------------------------------------------

def _ops():
    from keras import ops  # lazy: numpy users never load TensorFlow
    return ops


def _ops_float(values):
    ops = _ops()
    t = ops.convert_to_tensor(values)
    if "float" not in str(t.dtype):
        t = ops.cast(t, "float32")
    return t


def ops_maut(objectives, weights):
    """`maut` with `keras.ops`; shapes checked, values not (symbolic tensors)."""
    ops = _ops()
    objectives = _ops_float(objectives)
    weights = ops.cast(ops.convert_to_tensor(weights), objectives.dtype)
    _check_weights(tuple(objectives.shape), weights)
    return ops.sum(objectives * weights, axis=-1)


def ops_nsw(utilities):
    """`nsw` with `keras.ops`: `exp(mean(log U))`, 0 where some U is 0.

    Its gradient is not finite at U = 0; train on `ops_log_nsw` instead.
    """
    ops = _ops()
    u = _ops_float(utilities)
    _check_stakeholders(tuple(u.shape))
    return ops.exp(ops.mean(ops.log(u), axis=-1))


def ops_ms_nsw(u_user, u_artist):
    """`ms_nsw` with `keras.ops`."""
    ops = _ops()
    a = _ops_float(u_user)
    b = ops.cast(ops.convert_to_tensor(u_artist), a.dtype)
    a, b = a + ops.zeros_like(b), b + ops.zeros_like(a)  # broadcast both ways
    return ops_nsw(ops.stack([a, b], axis=-1))


def ops_log_nsw(utilities, eps: float = LOG_EPS):
    """`log_nsw` with `keras.ops`: `mean_s log(U_s + eps)`."""
    if not eps >= 0:
        raise ValueError(f"eps must be >= 0, got {eps!r}")
    ops = _ops()
    u = _ops_float(utilities)
    _check_stakeholders(tuple(u.shape))
    return ops.mean(ops.log(u + eps), axis=-1)


def ops_list_welfare(user_utils, artist_utils):
    """`list_welfare` with `keras.ops` (means over the last axis)."""
    ops = _ops()
    uu = _ops_float(user_utils)
    au = ops.cast(ops.convert_to_tensor(artist_utils), uu.dtype)
    if tuple(uu.shape) != tuple(au.shape):
        raise ValueError(f"user_utils shape {tuple(uu.shape)} and artist_utils shape {tuple(au.shape)} must be equal")
    return ops_ms_nsw(ops.mean(uu, axis=-1), ops.mean(au, axis=-1))
