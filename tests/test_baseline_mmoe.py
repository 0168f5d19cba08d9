"""MMoE baseline: learns; experts, softmax gates and towers checked against numpy."""

import numpy as np
import pytest

from baselines._common import ExpertMixture
from baselines.mmoe import build_mmoe

from baseline_toy import SPEC, VOCAB, X, assert_learns, dense, trained_on_toy


trained = trained_on_toy(build_mmoe, {"embedding_dim": 8})


def test_mmoe_learns_beyond_the_training_mean(trained):
    assert_learns(trained)


def test_mmoe_matches_numpy_forward_pass():
    model = build_mmoe(SPEC, VOCAB, {"embedding_dim": 3, "num_experts": 4})
    out = model(X, training=False)
    x = np.concatenate([model.get_layer(f"mmoe_{f}_embedding").get_weights()[0][X[f"{f}_id"]]
                        for f in ("user", "item", "artist")], axis=1)
    experts = np.stack([dense(model, f"expert_{e}_dense_1", dense(model, f"expert_{e}_dense_0", x))
                        for e in range(4)], axis=1)                       # (batch, E, 8)
    for o in SPEC.objective_names:
        gate = dense(model, f"{o}_gate", x)
        np.testing.assert_allclose(gate.sum(1), 1.0, rtol=1e-6)
        mixed = (gate[:, :, None] * experts).sum(1)
        expected = dense(model, o, dense(model, f"{o}_tower_dense_0", mixed))
        np.testing.assert_allclose(np.asarray(out[o]), expected, rtol=1e-4, atol=1e-6)


def test_mmoe_defaults_follow_appendix_b():
    model = build_mmoe(SPEC, VOCAB, {})
    assert model.get_layer("pct_listening_gate").units == len(SPEC.objectives)  # one expert per objective
    assert [model.get_layer(f"expert_0_dense_{k}").units for k in range(2)] == [16, 8]
    assert model.get_layer("new_fan_tower_dense_0").units == 6


def test_expert_mixture_is_gate_weighted_sum():
    gate = np.array([[0.2, 0.8], [1.0, 0.0]], "float32")
    e1, e2 = np.array([[1.0, 2.0], [3.0, 4.0]], "float32"), np.array([[10.0, 0.0], [5.0, 5.0]], "float32")
    np.testing.assert_allclose(np.asarray(ExpertMixture()([gate, e1, e2])), [[8.2, 0.4], [3.0, 4.0]], rtol=1e-6)


@pytest.mark.parametrize("config, bad", [({"num_experts": 0}, "0"), ({"expert_units": []}, r"\[\]")])
def test_mmoe_rejects_bad_config(config, bad):
    with pytest.raises(ValueError, match=bad):
        build_mmoe(SPEC, VOCAB, config)
