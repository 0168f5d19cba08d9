"""Wide&Deep baseline: learns, hashed crosses, wide + deep logits add up, Appendix B sizes.

The cross layer itself (`ms_bridge.layers.HashedCross`: formula, exact mode, config, errors) is
tested in tests/test_layers_ops.py; here only how Wide&Deep wires and sizes its crosses.
"""

import keras
import numpy as np
import pytest

from baselines.wide_deep import build_wide_deep
from ms_bridge.layers.crosses import HashedCross

from baseline_toy import SPEC, VOCAB, X, assert_learns, dense, trained_on_toy


trained = trained_on_toy(build_wide_deep, {"embedding_dim": 8, "hidden_units": [16, 8], "cross_bins": 1024})


def test_wide_deep_learns_beyond_the_training_mean(trained):
    assert_learns(trained)


def test_wide_deep_crosses_are_ordered_and_land_in_their_tables():
    model = build_wide_deep(SPEC, VOCAB, {"embedding_dim": 2, "hidden_units": [2]})  # default 2**16 bins
    crosses = keras.Model(model.input, {c: model.get_layer(f"cross_{c}").output for c in ("user_item", "user_artist")})
    rng = np.random.default_rng(0)
    u, i, a = (rng.integers(0, high, 2000).astype("int32") for high in (2**31 - 1, 50_000, 5_000))
    out = {c: np.asarray(v) for c, v in crosses({"user_id": u, "item_id": i, "artist_id": a}).items()}
    for c, index in out.items():
        assert index.shape == (2000,) and np.issubdtype(index.dtype, np.integer)
        assert index.min() >= 0 and index.max() < model.get_layer(f"pct_listening_wide_{c}_embedding").input_dim
    pairs = {"user_item": (u, i), "user_artist": (u, a)}
    for c, (first, second) in pairs.items():  # distinct pairs mostly get distinct buckets
        assert len(np.unique(out[c])) > 0.95 * len(set(zip(first.tolist(), second.tolist()))), c
    swapped = crosses({"user_id": i, "item_id": u, "artist_id": a})  # user x item, not item x user
    assert not np.array_equal(np.asarray(swapped["user_item"]), out["user_item"])


def test_wide_deep_logit_is_wide_sum_plus_deep_logit():
    model = build_wide_deep(SPEC, VOCAB, {"embedding_dim": 3, "hidden_units": [5, 4], "cross_bins": 11})
    rng = np.random.default_rng(1)
    for layer in model.layers:  # give the zero-initialised cross weights values
        if "wide" in layer.name and layer.name.endswith("_embedding"):
            layer.set_weights([rng.normal(size=layer.get_weights()[0].shape).astype("float32")])
    out = model(X, training=False)
    crosses = {"user_item": np.asarray(HashedCross(11)([X["user_id"], X["item_id"]])),
               "user_artist": np.asarray(HashedCross(11)([X["user_id"], X["artist_id"]]))}
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
