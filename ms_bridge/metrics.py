"""Evaluation metrics (SPEC §10) with a registry, and paired significance tests.

Task 1 metrics compare predicted and true *scaled* objectives, ignoring unknown
targets (NaN). Every metric is also available per user so models can be
compared by a paired t-test over the same test users.

Example:
>>> import numpy as np
>>> round(rmse(np.array([0.0, 1.0]), np.array([0.0, 0.0])), 4)
0.7071
>>> auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
0.75
"""

from __future__ import annotations

from typing import Callable, Mapping

import numpy as np
import pandas as pd
from scipy import stats

MetricFn = Callable[[np.ndarray, np.ndarray], float]
METRICS: dict[str, MetricFn] = {}
#: metrics where smaller is better (the rest are larger-is-better)
LOWER_IS_BETTER = {"rmse", "mae"}


def register_metric(name: str) -> Callable[[MetricFn], MetricFn]:
    """Decorator adding a `(y_true, y_pred) -> float` metric to `METRICS`."""
    def wrap(fn: MetricFn) -> MetricFn:
        if name in METRICS:
            raise ValueError(f"metric {name!r} is already registered")
        METRICS[name] = fn
        return fn
    return wrap


def _known(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y_true = np.asarray(y_true, dtype=np.float64).reshape(-1)
    y_pred = np.asarray(y_pred, dtype=np.float64).reshape(-1)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has {y_true.shape[0]} values but y_pred has {y_pred.shape[0]}")
    keep = ~np.isnan(y_true)
    return y_true[keep], y_pred[keep]


@register_metric("rmse")
def rmse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Root mean squared error over known targets (NaN = unknown)."""
    t, p = _known(y_true, y_pred)
    return float(np.sqrt(np.mean((t - p) ** 2))) if t.size else float("nan")


@register_metric("mae")
def mae(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean absolute error over known targets."""
    t, p = _known(y_true, y_pred)
    return float(np.mean(np.abs(t - p))) if t.size else float("nan")


def binarise(y: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """Scaled values -> {0,1} labels at `threshold` (SPEC §10: binary as is, others at 0.5)."""
    return (np.asarray(y, dtype=np.float64) >= threshold).astype(np.int8)


@register_metric("auc")
def auc(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """ROC AUC of the binarised labels against the scores (Mann–Whitney with tie correction).

    NaN when only one class is present.
    """
    t, p = _known(y_true, y_pred)
    labels = binarise(t)
    n_pos = int(labels.sum())
    n_neg = labels.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = stats.rankdata(p)
    return float((ranks[labels == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


@register_metric("f1")
def f1(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """F1 of binarised labels against predictions thresholded at 0.5 (0 when no positives at all)."""
    t, p = _known(y_true, y_pred)
    labels, guess = binarise(t), binarise(p)
    tp = int(np.sum((labels == 1) & (guess == 1)))
    denominator = int(labels.sum() + guess.sum())
    return 2 * tp / denominator if denominator else 0.0


def task1_metrics(targets: Mapping[str, np.ndarray], predictions: Mapping[str, np.ndarray],
                  metrics: tuple[str, ...] = ("rmse", "mae", "auc", "f1")) -> dict[str, float]:
    """`{f"{objective}_{metric}": value}` for every objective in `targets`."""
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise ValueError(f"unknown metrics {unknown}; registered: {sorted(METRICS)}")
    out = {}
    for name, y_true in targets.items():
        if name not in predictions:
            raise ValueError(f"no prediction for objective {name!r}; predicted: {sorted(predictions)}")
        for m in metrics:
            out[f"{name}_{m}"] = METRICS[m](y_true, predictions[name])
    return out


def per_user_errors(users: np.ndarray, y_true: np.ndarray, y_pred: np.ndarray) -> pd.DataFrame:
    """Per-user RMSE and MAE over known targets; index = user, columns `rmse`, `mae`, `n`."""
    y_true = np.asarray(y_true, dtype=np.float64).reshape(-1)
    y_pred = np.asarray(y_pred, dtype=np.float64).reshape(-1)
    keep = ~np.isnan(y_true)
    err = pd.DataFrame({"user": np.asarray(users).reshape(-1)[keep], "se": (y_true[keep] - y_pred[keep]) ** 2,
                        "ae": np.abs(y_true[keep] - y_pred[keep])})
    grouped = err.groupby("user", sort=True)
    return pd.DataFrame({"rmse": np.sqrt(grouped["se"].mean()), "mae": grouped["ae"].mean(),
                         "n": grouped.size()})


def paired_t_test(reference: pd.Series, other: pd.Series) -> float:
    """Two-sided paired t-test p-value over the users both series share.

    NaN when fewer than two users are shared or every difference is identical.
    """
    joined = pd.concat([reference.rename("a"), other.rename("b")], axis=1, join="inner").dropna()
    if len(joined) < 2:
        return float("nan")
    diff = joined["a"].to_numpy() - joined["b"].to_numpy()
    if np.allclose(diff, diff[0]):
        return 0.0 if diff[0] != 0 else 1.0
    return float(stats.ttest_rel(joined["a"], joined["b"]).pvalue)


def mean_std(values: list[float]) -> tuple[float, float]:
    """Mean and sample standard deviation over seeds (std 0 for a single seed)."""
    arr = np.asarray(values, dtype=np.float64)
    arr = arr[~np.isnan(arr)]
    if arr.size == 0:
        return float("nan"), float("nan")
    std = float(np.std(arr, ddof=1)) if arr.size > 1 else 0.0
    return float(np.mean(arr)), std
