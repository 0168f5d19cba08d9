import itertools

import numpy as np
import pytest
from scipy import sparse

from ms_bridge import welfare


def test_maut_hand_computed():
    objectives = np.array([[1.0, 0.0], [0.5, 0.5], [0.2, 0.8]])
    np.testing.assert_allclose(welfare.maut(objectives, [0.9, 0.1]), [0.9, 0.5, 0.26])
    # batch axes are kept, last axis reduced
    assert welfare.maut(np.ones((2, 3, 4)), np.full(4, 0.25)).shape == (2, 3)


@pytest.mark.parametrize("objectives, weights, match", [
    ([0.1, 0.2], [0.5, -0.1], "weights must be >= 0"),
    ([0.1, 0.2, 0.3], [0.5, 0.5], "does not match"),
    ([0.1, -0.2], [0.5, 0.5], "objectives must be >= 0"),
    ([0.1, 0.2], 0.5, "scalar"),
])
def test_maut_invalid(objectives, weights, match):
    with pytest.raises(ValueError, match=match):
        welfare.maut(objectives, weights)


def test_nsw_hand_computed_and_s3():
    np.testing.assert_allclose(welfare.nsw([0.25, 1.0]), 0.5)
    np.testing.assert_allclose(welfare.nsw([[2.0, 4.0, 8.0], [1.0, 1.0, 1.0]]), [4.0, 1.0])
    np.testing.assert_allclose(welfare.ms_nsw(0.9, 0.4), 0.6)
    np.testing.assert_allclose(welfare.ms_nsw([0.9, 0.16], 0.4), [0.6, 0.16 ** 0.5 * 0.4 ** 0.5])


def test_nsw_exact_zero_gives_zero():
    assert welfare.nsw([0.0, 0.7]) == 0.0
    assert welfare.nsw([0.3, 0.0, 0.9]) == 0.0
    assert welfare.ms_nsw(0.0, 1.0) == 0.0


def test_nsw_thousands_of_factors_do_not_underflow():
    u = np.full(2000, 0.5)
    assert np.prod(u) == 0.0  # the naive product underflows
    np.testing.assert_allclose(welfare.nsw(u), 0.5, rtol=1e-12)
    u = np.geomspace(1e-3, 1e3, 2001)  # geometric mean 1
    np.testing.assert_allclose(welfare.nsw(u), 1.0, rtol=1e-9)


@pytest.mark.parametrize("bad, match", [([0.5], "size >= 2"), (0.5, "size >= 2"), ([0.5, -0.1], ">= 0"),
                                        (np.array(["a", "b"]), "numeric")])
def test_nsw_invalid(bad, match):
    with pytest.raises(ValueError, match=match):
        welfare.nsw(bad)


def test_nan_propagates():
    assert np.isnan(welfare.nsw([np.nan, 0.5]))
    assert np.isnan(welfare.maut([np.nan, 0.5], [0.5, 0.5]))


def test_log_nsw():
    u = np.array([[0.2, 0.5], [0.0, 1.0]])
    np.testing.assert_allclose(welfare.log_nsw(u, eps=0.0)[0], np.log(welfare.nsw(u[0])))
    np.testing.assert_allclose(welfare.log_nsw(u)[1], 0.5 * (np.log(1e-6) + np.log(1.0 + 1e-6)))
    np.testing.assert_allclose(welfare.log_nsw([0.3, 0.3, 0.3], eps=0.1), np.log(0.4))
    with pytest.raises(ValueError, match="eps"):
        welfare.log_nsw([0.1, 0.2], eps=-1.0)


def test_list_and_allocation_welfare():
    np.testing.assert_allclose(welfare.list_welfare([1.0, 0.0], [0.0, 0.5]), np.sqrt(0.5 * 0.25))
    np.testing.assert_allclose(welfare.list_welfare([[1.0, 0.0], [0.2, 0.2]], [[0.0, 0.5], [0.8, 0.0]]),
                               [np.sqrt(0.5 * 0.25), np.sqrt(0.2 * 0.4)])
    user = np.array([[0.8, 0.2], [0.5, 0.5]])
    artist = np.array([[0.1, 0.3], [0.2, 0.2]])
    assert welfare.allocation_welfare(user, artist) == pytest.approx(np.sqrt(0.5 * 0.2))
    with pytest.raises(ValueError, match="shape"):
        welfare.list_welfare([0.1, 0.2], [0.1])
    with pytest.raises(ValueError, match="non-empty"):
        welfare.allocation_welfare([], [])


def _gini_reference(x):
    x = np.asarray(x, dtype=float)
    if x.sum() == 0:
        return 0.0
    return sum(abs(a - b) for a, b in itertools.product(x, x)) / (2 * len(x) ** 2 * x.mean())


def test_gini_against_pairwise_definition():
    rng = np.random.default_rng(0)
    for x in ([1, 1, 1], [0, 0, 0, 4], [0, 0, 0], [3, 1, 2, 7, 0], rng.random(17), rng.integers(0, 5, 30)):
        assert welfare.gini(x) == pytest.approx(_gini_reference(x), abs=1e-12)
    assert welfare.gini([0, 0, 0, 4]) == pytest.approx(0.75)
    batch = rng.random((4, 6))
    np.testing.assert_allclose(welfare.gini(batch), [_gini_reference(r) for r in batch])
    with pytest.raises(ValueError, match=">= 0"):
        welfare.gini([1.0, -1.0])
    with pytest.raises(ValueError, match="at least one"):
        welfare.gini([])


def test_coverage_and_exposure_counts():
    assert welfare.coverage([0, 0, 3], 4) == 0.5
    assert welfare.coverage(np.array([[0, 1], [2, 3]]), 4) == 1.0
    np.testing.assert_array_equal(welfare.exposure_counts([0, 2, 2], 4), [1, 0, 2, 0])
    with pytest.raises(ValueError, match=r"\[0, 4\)"):
        welfare.coverage([0, 4], 4)
    with pytest.raises(ValueError, match="n_artists"):
        welfare.coverage([0], 0)
    with pytest.raises(ValueError, match="integer"):
        welfare.coverage([0.5], 2)


def test_fan_matches_dense_and_sparse():
    fans = np.array([[0, 1, 0], [1, 0, 0], [0, 0, 1]], dtype=bool)
    assert welfare.fan_matches([1, 1, 2], fans) == 2
    assert welfare.fan_matches([1, 1, 2], sparse.csr_matrix(fans)) == 2
    assert welfare.fan_matches([[1, 0], [0, 2], [2, 2]], fans) == 4  # K = 2, repeats count twice
    with pytest.raises(ValueError, match="n_users=2"):
        welfare.fan_matches([1, 1], fans)


def test_keras_ops_twins_match_numpy():
    tf = pytest.importorskip("tensorflow")
    rng = np.random.default_rng(1)
    objectives = rng.random((5, 3))
    weights = np.array([0.2, 0.3, 0.5])
    utilities = np.concatenate([rng.random((6, 3)), np.zeros((1, 3))])
    utilities[6, 1:] = 0.4  # a row with an exact zero
    uu, au = rng.random((4, 7)), rng.random((4, 7))
    pairs = [
        (welfare.ops_maut(objectives, weights), welfare.maut(objectives, weights)),
        (welfare.ops_maut(tf.constant(objectives, tf.float32), weights), welfare.maut(objectives, weights)),
        (welfare.ops_nsw(utilities), welfare.nsw(utilities)),
        (welfare.ops_ms_nsw(utilities[:, 0], utilities[:, 1]), welfare.ms_nsw(utilities[:, 0], utilities[:, 1])),
        (welfare.ops_log_nsw(utilities), welfare.log_nsw(utilities)),
        (welfare.ops_log_nsw(utilities, eps=0.01), welfare.log_nsw(utilities, eps=0.01)),
        (welfare.ops_list_welfare(uu, au), welfare.list_welfare(uu, au)),
    ]
    for ops_value, np_value in pairs:
        np.testing.assert_allclose(np.asarray(ops_value), np_value, rtol=1e-6, atol=1e-7)
    # numpy functions accept TensorFlow tensors too
    np.testing.assert_allclose(welfare.nsw(tf.constant(utilities)), welfare.nsw(utilities))
    with pytest.raises(ValueError, match="size >= 2"):
        welfare.ops_nsw(np.ones((3, 1)))
    with pytest.raises(ValueError, match="does not match"):
        welfare.ops_maut(objectives, [0.5, 0.5])
