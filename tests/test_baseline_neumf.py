"""NeuMF baseline: learns, matches a numpy forward pass of GMF + MLP, Appendix B sizes."""

import numpy as np
import pytest

from baselines.neumf import build_neumf

from baseline_toy import SPEC, VOCAB, X, assert_learns, dense, trained_on_toy


trained = trained_on_toy(build_neumf, {"embedding_dim": 8, "hidden_units": [16, 8]})


def test_neumf_learns_beyond_the_training_mean(trained):
    assert_learns(trained)


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
