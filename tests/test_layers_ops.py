import keras
import numpy as np
import pytest

from ms_bridge.layers.crosses import HashedCross
from ms_bridge.layers.pooling import MaskedMeanPooling


def test_hashed_cross_matches_formula():
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 5000, 300), rng.integers(0, 800, 300)
    out = np.asarray(HashedCross(4096)([a.astype("int32"), b.astype("int32")]))
    np.testing.assert_array_equal(out, (a * 1_000_003 + b) % 4096)
    assert out.min() >= 0 and out.max() < 4096


def test_hashed_cross_exact_mode_is_a_bijection():
    a, b = np.meshgrid(np.arange(7), np.arange(5), indexing="ij")
    out = np.asarray(HashedCross(35, multiplier=5)([a.ravel(), b.ravel()]))
    assert sorted(out.tolist()) == list(range(35))


def test_hashed_cross_config_and_errors():
    layer = HashedCross(10, multiplier=3, name="c")
    clone = HashedCross.from_config(layer.get_config())
    assert (clone.num_bins, clone.multiplier, clone.name) == (10, 3, "c")
    with pytest.raises(ValueError, match="num_bins must be a positive int, got 0"):
        HashedCross(0)
    with pytest.raises(ValueError, match="multiplier"):
        HashedCross(4, multiplier=-1)


def test_masked_mean_pooling_matches_loop():
    rng = np.random.default_rng(1)
    ids = rng.integers(0, 4, (20, 6)).astype("int32")
    ids[3] = 0
    vectors = rng.normal(size=(20, 6, 5)).astype("float32")
    expected = np.zeros((20, 5), "float32")
    for r in range(20):
        valid = [vectors[r, j] for j in range(6) if ids[r, j] != 0]
        if valid:
            expected[r] = np.mean(valid, axis=0)
    np.testing.assert_allclose(np.asarray(MaskedMeanPooling()([ids, vectors])), expected, atol=1e-6)
    assert MaskedMeanPooling.from_config(MaskedMeanPooling(padding_id=2).get_config()).padding_id == 2


def test_layers_work_symbolically():
    ids = keras.Input((4,), dtype="int32")
    vectors = keras.Input((4, 3))
    assert MaskedMeanPooling()([ids, vectors]).shape == (None, 3)
    a = keras.Input((), dtype="int32")
    assert HashedCross(8)([a, a]).dtype == "int64"
