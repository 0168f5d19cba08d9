import keras
import numpy as np
import pytest

from ms_bridge.layers.backbones import ncf, wide_deep, wide_linear

VOCAB = {"user_id": 6, "item_id": 9, "artist_id": 4}


def _ids():
    return {f: keras.Input((), dtype="int32", name=f) for f in VOCAB}


def test_ncf_shared_bottom():
    a, b = keras.Input((3,)), keras.Input((2,))
    model = keras.Model([a, b], ncf([a, b], units=(7, 5)))
    assert [l.name for l in model.layers if isinstance(l, keras.layers.Dense)] == ["shared_bottom_0", "shared_bottom_1"]
    assert model.get_layer("deep_input").output.shape == (None, 5)
    assert model.output.shape == (None, 5)
    with pytest.raises(ValueError, match="shared_bottom_units"):
        ncf([a], units=())


def test_wide_linear_is_sum_of_rows():
    ids = _ids()
    model = keras.Model(ids, wide_linear(ids, VOCAB, units=3, cross_bins=1000))
    tables = {name: model.get_layer(f"wide_{name}_embedding").get_weights()[0]
              for name in ("user", "item", "artist", "user_x_artist", "user_x_item")}
    # 6 * 4 and 6 * 9 pairs fit in 1000 bins, so the crosses are exact: a * vocab_b + b
    assert tables["user_x_artist"].shape == (24, 3) and tables["user_x_item"].shape == (54, 3)
    u, i, a = np.array([1, 5, 0]), np.array([8, 2, 3]), np.array([3, 1, 2])
    out = model.predict({"user_id": u, "item_id": i, "artist_id": a}, verbose=0)
    expected = (tables["user"][u] + tables["item"][i] + tables["artist"][a]
                + tables["user_x_artist"][u * 4 + a] + tables["user_x_item"][u * 9 + i])
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)


def test_wide_linear_hashes_large_crosses():
    ids = _ids()
    model = keras.Model(ids, wide_linear(ids, VOCAB, units=2, cross_bins=16))
    assert model.get_layer("wide_user_x_item_embedding").input_dim == 16
    assert model.get_layer("user_x_item_cross").num_bins == 16
    with pytest.raises(ValueError, match="names an id input"):
        wide_linear(ids, VOCAB, crosses=[("user_id", "genre_id")])


def test_wide_deep_concatenates():
    ids = _ids()
    x = keras.Input((4,))
    out = wide_deep([x], ids, VOCAB, units=(8, 6), wide_units=5, cross_bins=100)
    assert out.shape == (None, 11)
