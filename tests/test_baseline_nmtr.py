"""NMTR baseline: learns; cascade order; each logit adds the previous one (numpy check)."""

import keras
import numpy as np
import pytest

from baselines.nmtr import CascadeAdd, build_nmtr, cascade_order
from ms_bridge.datasets.spec import get_spec

from baseline_toy import SPEC, VOCAB, X, assert_learns, trained_on_toy


trained = trained_on_toy(build_nmtr, {"embedding_dim": 8})


def test_nmtr_learns_beyond_the_training_mean(trained):
    assert_learns(trained)


@pytest.mark.parametrize("name, expected", [
    ("spotify", ("pct_listening", "num_times_listening", "feedback_type", "in_playlist", "new_fan", "recurring_fan")),
    ("mlhd", ("pct_listening", "is_finish", "is_skip", "new_fan", "recurring_fan")),
    ("youku", ("play_rate", "video_view", "time_spent", "relevance", "novelty")),
])
def test_cascade_order_puts_engagement_first_then_stakeholders(name, expected):
    assert cascade_order(get_spec(name)) == expected


def test_nmtr_logits_cascade():
    order = ("new_fan", "pct_listening", "is_skip")
    model = build_nmtr(SPEC, VOCAB, {"embedding_dim": 3, "order": list(order)})
    model.get_layer("is_skip_cascade").set_weights([np.float32(-0.5)])
    own = keras.Model(model.inputs, [model.get_layer(f"{o}_own_logit").output for o in order])(X)
    own = [np.asarray(v)[:, 0] for v in own]
    out = model(X, training=False)
    logits = [own[0], own[1] + 1.0 * own[0]]
    logits.append(own[2] - 0.5 * logits[1])
    for o, logit in zip(order, logits):
        np.testing.assert_allclose(np.asarray(out[o])[:, 0], 1 / (1 + np.exp(-logit)), rtol=1e-5, atol=1e-6)
    assert "new_fan_cascade" not in {layer.name for layer in model.layers}  # the first has no predecessor


def test_nmtr_default_sizes_follow_appendix_b():
    model = build_nmtr(SPEC, VOCAB, {})
    assert [model.get_layer(f"is_skip_nmtr_dense_{k}").units for k in range(3)] == [16, 8, 6]


def test_cascade_add_is_own_plus_scaled_previous():
    layer = CascadeAdd(initial_scale=2.0)
    out = layer([np.array([[1.0], [2.0]], "float32"), np.array([[3.0], [-1.0]], "float32")])
    np.testing.assert_allclose(np.asarray(out), [[7.0], [0.0]])


@pytest.mark.parametrize("order", [["pct_listening", "is_skip"], ["pct_listening", "is_skip", "is_skip"],
                                   "pct_listening"])
def test_nmtr_rejects_an_order_that_is_not_a_permutation(order):
    with pytest.raises(ValueError, match="order"):
        build_nmtr(SPEC, VOCAB, {"order": order})
