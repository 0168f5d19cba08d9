"""NeuMF baseline: learns, matches a numpy forward pass of GMF + MLP, Appendix B sizes."""

import numpy as np
import pytest

from baselines import _common as C
from baselines.neumf import build_neumf

SPEC = C.toy_spec()
VOCAB = {"user_id": 6, "item_id": 7, "artist_id": 4}
X = {"user_id": np.array([0, 1, 5, 2], "int32"), "item_id": np.array([6, 2, 0, 3], "int32"),
     "artist_id": np.array([1, 3, 2, 0], "int32")}


def dense(model, name, x):
    kernel, bias = model.get_layer(name).get_weights()
    z = x @ kernel + bias
    act = model.get_layer(name).get_config()["activation"]
    return {"relu": np.maximum(z, 0), "sigmoid": 1 / (1 + np.exp(-z)), "linear": z}[act]


@pytest.fixture(scope="module")
def trained():
    return C.fit_on_toy(build_neumf, SPEC, {"embedding_dim": 8, "hidden_units": [16, 8]}, epochs=5)


def test_neumf_learns_beyond_the_training_mean(trained):
    assert trained["val_mse"] < 0.8 * trained["mean_mse"], trained


def test_neumf_matches_numpy_forward_pass():
    model = build_neumf(SPEC, VOCAB, {"embedding_dim": 3, "hidden_units": [5, 4]})
    out = model(X, training=False)
    for o in SPEC.objective_names:
        def table(branch, field):
            return model.get_layer(f"{o}_{branch}_{field}_embedding").get_weights()[0][X[f"{field}_id"]]
        gmf = np.concatenate([table("gmf", "user") * table("gmf", "item"),
                              table("gmf", "user") * table("gmf", "artist")], axis=1)
        h = np.concatenate([table("mlp", "user"), table("mlp", "item"), table("mlp", "artist")], axis=1)
        h = dense(model, f"{o}_mlp_dense_1", dense(model, f"{o}_mlp_dense_0", h))
        expected = dense(model, o, np.concatenate([gmf, h], axis=1))
        np.testing.assert_allclose(np.asarray(out[o]), expected, rtol=1e-5, atol=1e-6)


def test_neumf_default_sizes_follow_appendix_b():
    model = build_neumf(SPEC, VOCAB, {})
    for o in SPEC.objective_names:
        assert [model.get_layer(f"{o}_mlp_dense_{k}").units for k in range(3)] == [128, 80, 40]
        assert model.get_layer(o).units == 1
        assert model.get_layer(f"{o}_gmf_user_embedding").output_dim == 40


@pytest.mark.parametrize("config, bad", [({"hidden_units": []}, r"\[\]"), ({"embedding_dim": 0}, "0"),
                                         ({"hidden_units": [16, -2]}, "-2"), ({"dropout": 1.0}, "1.0")])
def test_neumf_rejects_bad_config(config, bad):
    with pytest.raises(ValueError, match=bad):
        build_neumf(SPEC, VOCAB, config)
