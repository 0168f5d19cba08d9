"""MORL baseline: learns; sampled preference weights in training, fixed ones at inference."""

import numpy as np
import pytest

from baselines.morl import PreferenceWeights, build_morl

from baseline_toy import SPEC, VOCAB, assert_learns, trained_on_toy


trained = trained_on_toy(build_morl, {"embedding_dim": 8})


def test_morl_learns_beyond_the_training_mean(trained):
    assert_learns(trained)


def test_sampled_weights_are_uniform_on_the_simplex():
    w = np.asarray(PreferenceWeights(3, seed=0)(np.zeros((20000, 1), "float32"), training=True))
    np.testing.assert_allclose(w.sum(1), 1.0, rtol=1e-5)
    assert (w > 0).all()
    np.testing.assert_allclose(w.mean(0), 1 / 3, atol=0.01)
    # Dirichlet(1, 1, 1) marginal is Beta(1, 2): variance 1*2 / (3**2 * 4) = 1/18
    np.testing.assert_allclose(w.var(0), 1 / 18, atol=0.005)


def test_inference_weights_are_fixed_and_normalised():
    layer = PreferenceWeights(3, inference_weights=[2.0, 1.0, 1.0])
    w = np.asarray(layer(np.zeros((5, 2), "float32"), training=False))
    np.testing.assert_allclose(w, np.tile([0.5, 0.25, 0.25], (5, 1)), rtol=1e-6)


def test_training_samples_fresh_weights_inference_is_deterministic(trained):
    model, x = trained["model"], trained["val_x"]
    first, second = model(x, training=True), model(x, training=True)
    fixed = [model(x, training=False) for _ in range(2)]
    o = SPEC.objective_names[0]
    assert not np.allclose(np.asarray(first[o]), np.asarray(second[o]))
    np.testing.assert_array_equal(np.asarray(fixed[0][o]), np.asarray(fixed[1][o]))


def test_preference_input_changes_the_prediction(trained):
    model, x = trained["model"], trained["val_x"]
    other = build_morl(SPEC, trained["vocab"], {"embedding_dim": 8, "inference_weights": [1.0, 0.0, 0.0]})
    other.set_weights(model.get_weights())
    base, shifted = model(x, training=False), other(x, training=False)
    assert any(not np.allclose(np.asarray(base[o]), np.asarray(shifted[o])) for o in SPEC.objective_names)


@pytest.mark.parametrize("weights, bad", [([1.0, 1.0], r"\[1.0, 1.0\]"), ([1.0, -1.0, 1.0], "-1.0"),
                                          ([0.0, 0.0, 0.0], r"\[0.0, 0.0, 0.0\]")])
def test_morl_rejects_bad_inference_weights(weights, bad):
    with pytest.raises(ValueError, match=bad):
        build_morl(SPEC, VOCAB, {"inference_weights": weights})
