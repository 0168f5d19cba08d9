"""MCCF baseline: learns; per-objective MF criteria joined by a linear aggregation, checked in numpy."""

import numpy as np
import pytest

from baselines.mccf import build_mccf

from baseline_toy import SPEC, VOCAB, X, assert_learns, trained_on_toy


trained = trained_on_toy(build_mccf, {"embedding_dim": 8})


def test_mccf_learns_beyond_the_training_mean(trained):
    assert_learns(trained)


def criteria(model):
    """Numpy reference of each criterion's MF score mu + b_u + b_i + b_a + p_u . (q_i + y_a)."""
    out = []
    for o in SPEC.objective_names:
        def table(name, field):
            return model.get_layer(f"{o}_{name}_{field}_embedding").get_weights()[0][X[f"{field}_id"]]
        dot = (table("mf", "user") * (table("mf", "item") + table("mf", "artist"))).sum(1)
        bias = sum(table("mf_bias", f)[:, 0] for f in ("user", "item", "artist"))
        out.append(dot + bias + model.get_layer(f"{o}_mf_mean").get_weights()[0])
    return np.stack(out, axis=1)


def test_mccf_starts_as_independent_criteria():
    model = build_mccf(SPEC, VOCAB, {"embedding_dim": 3})
    out = model(X, training=False)
    expected = 1 / (1 + np.exp(-criteria(model)))  # identity aggregation at initialisation
    for k, o in enumerate(SPEC.objective_names):
        np.testing.assert_allclose(np.asarray(out[o])[:, 0], expected[:, k], rtol=1e-5, atol=1e-6)


def test_mccf_aggregation_mixes_criteria():
    model = build_mccf(SPEC, VOCAB, {"embedding_dim": 3})
    agg = model.get_layer("mccf_aggregation")
    kernel = np.array([[1.0, 0.5, 0.0], [-2.0, 1.0, 0.3], [0.0, 0.0, 1.0]], "float32")
    bias = np.array([0.1, -0.2, 0.3], "float32")
    agg.set_weights([kernel, bias])
    out = model(X, training=False)
    expected = 1 / (1 + np.exp(-(criteria(model) @ kernel + bias)))
    for k, o in enumerate(SPEC.objective_names):
        np.testing.assert_allclose(np.asarray(out[o])[:, 0], expected[:, k], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("config, bad", [({"embedding_dim": -4}, "-4"), ({"embedding_dim": 2.5}, "2.5")])
def test_mccf_rejects_bad_config(config, bad):
    with pytest.raises(ValueError, match=bad):
        build_mccf(SPEC, VOCAB, config)
