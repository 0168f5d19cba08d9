"""PLE baseline: learns; two CGC extraction levels checked against a numpy forward pass."""

import numpy as np
import pytest

from baselines.ple import build_ple

from baseline_toy import SPEC, VOCAB, X, assert_learns, dense, trained_on_toy


def mix(gate, experts):
    return (gate[:, :, None] * np.stack(experts, axis=1)).sum(1)


trained = trained_on_toy(build_ple, {"embedding_dim": 8, "num_shared_experts": 1})


def test_ple_learns_beyond_the_training_mean(trained):
    assert_learns(trained)


def test_ple_matches_numpy_forward_pass():
    n_shared, n_own = 2, 2
    model = build_ple(SPEC, VOCAB, {"embedding_dim": 3, "num_shared_experts": n_shared,
                                    "experts_per_objective": n_own})
    out = model(X, training=False)
    x = np.concatenate([model.get_layer(f"ple_{f}_embedding").get_weights()[0][X[f"{f}_id"]]
                        for f in ("user", "item", "artist")], axis=1)
    objectives = SPEC.objective_names
    task_in, shared_in = {o: x for o in objectives}, x
    for level in (0, 1):
        shared = [dense(model, f"level_{level}_shared_expert_{e}", shared_in) for e in range(n_shared)]
        own = {o: [dense(model, f"level_{level}_{o}_expert_{e}", task_in[o]) for e in range(n_own)] for o in objectives}
        new_task_in = {o: mix(dense(model, f"level_{level}_{o}_gate", task_in[o]), own[o] + shared) for o in objectives}
        if level == 0:
            pool = [e for o in objectives for e in own[o]] + shared
            shared_in = mix(dense(model, "level_0_shared_gate", shared_in), pool)
        task_in = new_task_in
    for o in objectives:
        expected = dense(model, o, dense(model, f"{o}_tower_dense_0", task_in[o]))
        np.testing.assert_allclose(np.asarray(out[o]), expected, rtol=1e-4, atol=1e-6)


def test_ple_structure_follows_appendix_b():
    model = build_ple(SPEC, VOCAB, {})
    names = {layer.name for layer in model.layers}
    assert "level_0_shared_gate" in names and "level_1_shared_gate" not in names  # last level: task gates only
    assert model.get_layer("level_0_is_skip_gate").units == 1 + 2                   # own + shared experts
    assert model.get_layer("level_0_shared_gate").units == 3 * 1 + 2               # every expert
    assert model.get_layer("level_0_shared_expert_0").units == 16
    assert model.get_layer("level_1_new_fan_expert_0").units == 8
    assert model.get_layer("new_fan_tower_dense_0").units == 6


@pytest.mark.parametrize("config, bad", [({"num_shared_experts": 0}, "0"), ({"level_units": [16, 0]}, "0"),
                                         ({"experts_per_objective": True}, "True")])
def test_ple_rejects_bad_config(config, bad):
    with pytest.raises(ValueError, match=bad):
        build_ple(SPEC, VOCAB, config)
