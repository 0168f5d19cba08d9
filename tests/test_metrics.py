import itertools

import numpy as np
import pandas as pd
import pytest

from ms_bridge import metrics


def slow_auc(labels, scores):
    pos = [s for l, s in zip(labels, scores) if l == 1]
    neg = [s for l, s in zip(labels, scores) if l == 0]
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p, n in itertools.product(pos, neg))
    return wins / (len(pos) * len(neg))


def test_rmse_mae_by_hand_and_nan_ignored():
    y = np.array([1.0, 0.0, np.nan, 0.5])
    p = np.array([0.5, 0.0, 0.9, 1.0])
    assert metrics.rmse(y, p) == pytest.approx(np.sqrt((0.25 + 0 + 0.25) / 3))
    assert metrics.mae(y, p) == pytest.approx((0.5 + 0 + 0.5) / 3)


def test_auc_matches_pairwise_reference_with_ties():
    rng = np.random.default_rng(0)
    y = rng.random(200)
    p = np.round(rng.random(200), 1)  # many ties
    assert metrics.auc(y, p) == pytest.approx(slow_auc(metrics.binarise(y), p))


def test_auc_single_class_is_nan():
    assert np.isnan(metrics.auc(np.ones(4), np.arange(4.0)))


def test_f1_by_hand():
    y = np.array([1, 1, 0, 0, 0.7])  # labels 1,1,0,0,1
    p = np.array([0.9, 0.2, 0.6, 0.1, 0.8])  # guesses 1,0,1,0,1
    # tp = 2, labels = 3, guesses = 3 -> 2*2/6
    assert metrics.f1(y, p) == pytest.approx(4 / 6)


def test_task1_metrics_keys_and_errors():
    out = metrics.task1_metrics({"a": np.array([0.0, 1.0])}, {"a": np.array([0.0, 1.0])})
    assert out == {"a_rmse": 0.0, "a_mae": 0.0, "a_auc": 1.0, "a_f1": 1.0}
    with pytest.raises(ValueError, match="no prediction"):
        metrics.task1_metrics({"a": np.zeros(2)}, {"b": np.zeros(2)})
    with pytest.raises(ValueError, match="unknown metrics"):
        metrics.task1_metrics({"a": np.zeros(2)}, {"a": np.zeros(2)}, metrics=("nope",))
    with pytest.raises(ValueError, match="2 values"):
        metrics.rmse(np.zeros(2), np.zeros(3))


def test_register_metric_refuses_duplicates():
    with pytest.raises(ValueError, match="already registered"):
        metrics.register_metric("rmse")(lambda t, p: 0.0)


def test_per_user_errors_and_paired_test():
    users = np.array([1, 1, 2, 2, 3, 3])
    y = np.array([1.0, 0.0, 1.0, np.nan, 0.0, 0.0])
    p = np.array([1.0, 1.0, 0.0, 0.3, 0.5, 0.5])
    table = metrics.per_user_errors(users, y, p)
    assert table.loc[1, "rmse"] == pytest.approx(np.sqrt(0.5))
    assert table.loc[2, "mae"] == pytest.approx(1.0) and table.loc[2, "n"] == 1
    assert table.loc[3, "rmse"] == pytest.approx(0.5)
    a = pd.Series([0.1, 0.2, 0.3, 0.4], index=[1, 2, 3, 4])
    b = pd.Series([0.2, 0.25, 0.45, 0.5, 9.0], index=[1, 2, 3, 4, 5])
    from scipy import stats
    assert metrics.paired_t_test(a, b) == pytest.approx(stats.ttest_rel(a, b.loc[a.index]).pvalue)
    assert np.isnan(metrics.paired_t_test(a.iloc[:1], b))


def test_mean_std():
    assert metrics.mean_std([1.0, 3.0]) == (2.0, pytest.approx(np.sqrt(2)))
    assert metrics.mean_std([5.0]) == (5.0, 0.0)
