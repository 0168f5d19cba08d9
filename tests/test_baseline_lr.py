"""LR baseline: learns, equals a hand-computed logistic-linear index, refuses bad arguments."""

import numpy as np
import pytest

from baselines.lr import build_lr

from baseline_toy import SPEC, assert_learns, trained_on_toy

VOCAB = {"user_id": 4, "item_id": 5, "artist_id": 3}


trained = trained_on_toy(build_lr, {})


def test_lr_learns_beyond_the_training_mean(trained):
    # LR sees only additive id effects, so it captures the biases but not the affinity.
    assert_learns(trained)


def test_lr_prediction_is_sigmoid_of_summed_id_weights():
    model = build_lr(SPEC, VOCAB, {})
    rng = np.random.default_rng(0)
    tables, intercepts = {}, dict(zip(SPEC.objective_names, [0.5, -1.0, 2.0]))
    for objective in SPEC.objective_names:
        for field, size in VOCAB.items():
            layer = model.get_layer(f"{objective}_lr_{field[:-3]}_embedding")
            tables[objective, field] = rng.normal(size=(size, 1)).astype("float32")
            layer.set_weights([tables[objective, field]])
        model.get_layer(f"{objective}_lr_intercept").set_weights([np.float32(intercepts[objective])])
    x = {"user_id": np.array([0, 1, 3], "int32"), "item_id": np.array([4, 2, 0], "int32"),
         "artist_id": np.array([2, 1, 1], "int32")}
    out = model(x, training=False)
    for objective in SPEC.objective_names:
        index = sum(tables[objective, f][x[f], 0] for f in VOCAB) + intercepts[objective]
        np.testing.assert_allclose(np.asarray(out[objective])[:, 0], 1 / (1 + np.exp(-index)), rtol=1e-5)


def test_lr_has_one_weight_per_id_and_objective():
    model = build_lr(SPEC, VOCAB, {})
    # per objective: one weight per row of each id table plus the intercept
    assert model.count_params() == len(SPEC.objectives) * (sum(VOCAB.values()) + 1)


@pytest.mark.parametrize("config, bad", [({"l2": -1.0}, "-1.0"), ({"l2": "big"}, "big")])
def test_lr_rejects_bad_config(config, bad):
    with pytest.raises(ValueError, match=bad):
        build_lr(SPEC, VOCAB, config)


@pytest.mark.parametrize("vocab, bad", [({"user_id": 4, "item_id": 5}, "artist_id"),
                                        ({"user_id": 1, "item_id": 5, "artist_id": 3}, "user_id")])
def test_lr_rejects_bad_vocab(vocab, bad):
    with pytest.raises(ValueError, match=bad):
        build_lr(SPEC, vocab, {})
