"""MoSE baseline: learns; reads `recent_items`; the history changes the predictions."""

import numpy as np
import pytest

from baselines.mose import DEFAULT_HISTORY_LENGTH, build_mose

from baseline_toy import SPEC, VOCAB, assert_learns, trained_on_toy

X = {"user_id": np.array([1, 1, 2], "int32"), "item_id": np.array([3, 3, 4], "int32"),
     "artist_id": np.array([1, 1, 2], "int32")}


trained = trained_on_toy(build_mose, {"embedding_dim": 8, "history_length": 3, "num_experts": 2})


def test_mose_learns_beyond_the_training_mean(trained):
    assert_learns(trained)


def test_mose_predictions_depend_on_the_history(trained):
    model, x = trained["model"], dict(trained["val_x"])
    base = model(x, training=False)
    x["recent_items"] = np.roll(x["recent_items"], 7, axis=0)  # other users' histories
    moved = model(x, training=False)
    for o in SPEC.objective_names:
        assert np.abs(np.asarray(base[o]) - np.asarray(moved[o])).mean() > 1e-3


def test_mose_inputs_and_sizes():
    model = build_mose(SPEC, VOCAB, {"history_length": 4})
    assert sorted(model.input) == ["artist_id", "item_id", "recent_items", "user_id"]
    assert tuple(model.input["recent_items"].shape) == (None, 4)
    assert model.get_layer("mose_shared_bottom").units == 16
    assert model.get_layer("sequential_expert_0").units == 8
    assert model.get_layer("pct_listening_gate").units == len(SPEC.objectives)
    assert model.get_layer("is_skip_tower_dense_0").units == 6
    default = build_mose(SPEC, VOCAB, {})
    assert tuple(default.input["recent_items"].shape) == (None, DEFAULT_HISTORY_LENGTH)


def test_mose_reads_padding_and_all_empty_histories():
    model = build_mose(SPEC, VOCAB, {"history_length": 4, "embedding_dim": 3})
    out = model({**X, "recent_items": np.array([[0, 0, 0, 0], [0, 0, 2, 5], [1, 2, 3, 4]], "int32")}, training=False)
    for o in SPEC.objective_names:
        values = np.asarray(out[o])
        assert values.shape == (3, 1) and np.isfinite(values).all() and ((values > 0) & (values < 1)).all()


@pytest.mark.parametrize("config, bad", [({"history_length": 0}, "0"), ({"bottom_units": -1}, "-1"),
                                         ({"tower_units": [6, 0]}, "0")])
def test_mose_rejects_bad_config(config, bad):
    with pytest.raises(ValueError, match=bad):
        build_mose(SPEC, VOCAB, config)
