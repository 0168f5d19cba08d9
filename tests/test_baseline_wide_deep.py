"""Wide&Deep baseline: learns, hashed crosses, wide + deep logits add up, Appendix B sizes."""

import numpy as np
import pytest

from baselines import _common as C
from baselines.wide_deep import build_wide_deep

SPEC = C.toy_spec()
VOCAB = {"user_id": 6, "item_id": 7, "artist_id": 4}
X = {"user_id": np.array([0, 1, 5, 2], "int32"), "item_id": np.array([6, 2, 0, 3], "int32"),
     "artist_id": np.array([1, 3, 2, 0], "int32")}


def dense(model, name, x):
    kernel, bias = model.get_layer(name).get_weights()
    z = x @ kernel + bias
    act = model.get_layer(name).get_config()["activation"]
    return {"relu": np.maximum(z, 0), "sigmoid": 1 / (1 + np.exp(-z)), "linear": z}[act]


def hashed(a, b, n):
    """Slow reference of HashedCross for two inputs (Python ints, no overflow)."""
    out = []
    for x, y in zip(a.tolist(), b.tolist()):
        index = 0
        for value, p in ((x, 1_000_003), (y, 998_244_353)):
            index = (index * 31 + (value * (p % n)) % n) % n
        out.append(index)
    return np.array(out)


@pytest.fixture(scope="module")
def trained():
    return C.fit_on_toy(build_wide_deep, SPEC, {"embedding_dim": 8, "hidden_units": [16, 8], "cross_bins": 1024},
                        epochs=5)


def test_wide_deep_learns_beyond_the_training_mean(trained):
    assert trained["val_mse"] < 0.8 * trained["mean_mse"], trained


def test_hashed_cross_matches_reference_and_spreads_pairs():
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 2**31 - 1, 2000).astype("int32"), rng.integers(0, 50_000, 2000).astype("int32")
    out = np.asarray(C.HashedCross(2**16)([a, b]))
    np.testing.assert_array_equal(out, hashed(a, b, 2**16))
    assert out.min() >= 0 and out.max() < 2**16
    assert len(np.unique(out)) > 0.95 * len(set(zip(a.tolist(), b.tolist())))  # few collisions
    assert not np.array_equal(out, np.asarray(C.HashedCross(2**16)([b, a])))  # ordered crosses


def test_wide_deep_logit_is_wide_sum_plus_deep_logit():
    model = build_wide_deep(SPEC, VOCAB, {"embedding_dim": 3, "hidden_units": [5, 4], "cross_bins": 11})
    rng = np.random.default_rng(1)
    for layer in model.layers:  # give the zero-initialised cross weights values
        if "wide" in layer.name and layer.name.endswith("_embedding"):
            layer.set_weights([rng.normal(size=layer.get_weights()[0].shape).astype("float32")])
    out = model(X, training=False)
    crosses = {"user_item": hashed(X["user_id"], X["item_id"], 11),
               "user_artist": hashed(X["user_id"], X["artist_id"], 11)}
    for o in SPEC.objective_names:
        def table(name, index):
            return model.get_layer(f"{o}_{name}_embedding").get_weights()[0][index]
        wide = sum(table(f"wide_{f}", X[f"{f}_id"]) for f in ("user", "item", "artist"))
        wide = wide + sum(table(f"wide_{c}", idx) for c, idx in crosses.items())
        h = np.concatenate([table(f"deep_{f}", X[f"{f}_id"]) for f in ("user", "item", "artist")], axis=1)
        h = dense(model, f"{o}_deep_dense_1", dense(model, f"{o}_deep_dense_0", h))
        expected = 1 / (1 + np.exp(-(wide + dense(model, f"{o}_deep_logit", h))))
        np.testing.assert_allclose(np.asarray(out[o]), expected, rtol=1e-5, atol=1e-6)


def test_wide_deep_default_sizes_follow_appendix_b():
    model = build_wide_deep(SPEC, VOCAB, {})
    for o in SPEC.objective_names:
        assert [model.get_layer(f"{o}_deep_dense_{k}").units for k in range(3)] == [128, 80, 40]
        assert model.get_layer(f"{o}_deep_logit").units == 1
        assert model.get_layer(f"{o}_wide_user_item_embedding").input_dim == 2**16


@pytest.mark.parametrize("config, bad", [({"cross_bins": 1}, "1"), ({"hidden_units": "128"}, "128"),
                                         ({"l2": -0.1}, "-0.1")])
def test_wide_deep_rejects_bad_config(config, bad):
    with pytest.raises(ValueError, match=bad):
        build_wide_deep(SPEC, VOCAB, config)


def test_hashed_cross_rejects_bad_bins():
    with pytest.raises(ValueError, match="0"):
        C.HashedCross(0)
