"""Every registered baseline: registry entry, output contract, `.keras` round trip, no Lambda layers."""

import dataclasses

import keras
import numpy as np
import pytest
import tensorflow as tf

import baselines
from baselines.mo_linucb import fit_design_matrices
from ms_bridge.datasets.spec import get_spec
from ms_bridge.registry import get_model, list_models

from baseline_toy import toy_problem

SPEC = get_spec("mlhd")
LABELS = {"lr": "LR", "neumf": "NeuMF", "wide_deep": "Wide&Deep", "mccf": "MCCF", "mmoe": "MMoE",
          "mose": "MoSE", "nmtr": "NMTR", "ple": "PLE", "mo_linucb": "MO-LinUCB", "morl": "MORL"}
SINGLE = ("lr", "neumf", "wide_deep")
# Small but non-default settings, so that each config key also survives the round trip.
CONFIGS = {"neumf": {"hidden_units": [8, 4]}, "wide_deep": {"hidden_units": [8, 4], "cross_bins": 97},
           "mose": {"history_length": 3}, "mo_linucb": {"alpha": 0.5},
           "morl": {"inference_weights": [3.0, 1.0, 1.0, 0.5, 0.5]}}


def toy(history_length=0):
    x, _, w, vocab = toy_problem(SPEC, n_users=20, n_items=30, n_artists=5, n_examples=64,
                                   history_length=history_length)
    return x, w, vocab


def test_every_baseline_is_registered_with_its_label_and_family():
    assert set(baselines.BASELINES) == set(LABELS)
    for name in baselines.BASELINES:
        entry = get_model(name)
        assert entry.label == LABELS[name]
        assert entry.family == ("single-objective" if name in SINGLE else "multi-objective")
    assert set(SINGLE) <= set(list_models(family="single-objective"))
    assert set(LABELS) - set(SINGLE) <= set(list_models(family="multi-objective"))


@pytest.mark.parametrize("name", baselines.BASELINES)
def test_baseline_contract_and_keras_round_trip(name, tmp_path):
    config = {"embedding_dim": 4, **CONFIGS.get(name, {})}
    x, w, vocab = toy(config.get("history_length", 0))
    model = get_model(name)(SPEC, vocab, config)
    expected_inputs = ["artist_id", "item_id", "user_id"] + (["recent_items"] if name == "mose" else [])
    assert sorted(model.input) == sorted(expected_inputs)
    assert not [layer.name for layer in model.layers if isinstance(layer, keras.layers.Lambda)]
    if name == "mo_linucb":  # a non-trivial design matrix, so the exploration bonus is live and saved
        fit_design_matrices(model, x, w)
    before = model(x, training=False)
    assert list(before) == list(SPEC.objective_names)
    for o in SPEC.objective_names:
        values = np.asarray(before[o])
        assert values.shape == (64, 1) and ((values >= 0) & (values <= 1)).all()
    path = tmp_path / f"{name}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    after = loaded(x, training=False)
    for o in SPEC.objective_names:
        np.testing.assert_allclose(np.asarray(after[o]), np.asarray(before[o]), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", SINGLE)
def test_single_objective_baselines_share_no_parameter_across_objectives(name):
    x, _, vocab = toy()
    model = get_model(name)(SPEC, vocab, {"embedding_dim": 4, **CONFIGS.get(name, {})})
    inputs = {k: keras.ops.convert_to_tensor(v) for k, v in x.items()}
    for o in SPEC.objective_names:
        with tf.GradientTape() as tape:
            loss = keras.ops.sum(model(inputs, training=True)[o])
        grads = tape.gradient(loss, model.trainable_variables)
        touched = {v.path.split("/")[0] for v, g in zip(model.trainable_variables, grads) if g is not None}
        assert touched and all(layer.startswith(f"{o}_") or layer == o for layer in touched), touched


def test_unknown_config_keys_are_ignored_and_bad_config_type_refused():
    _, _, vocab = toy()
    model = get_model("mmoe")(SPEC, vocab, {"embedding_dim": 4, "epochs": 3, "batch_size": 512})
    assert model.name == "mmoe"
    with pytest.raises(ValueError, match="list"):
        baselines.mmoe.build_mmoe(SPEC, vocab, ["embedding_dim", 4])


@pytest.mark.parametrize("name", baselines.BASELINES)
def test_baseline_reads_declared_side_features(name):
    spec = dataclasses.replace(SPEC, side_features=("age", "tempo"))
    config = {"embedding_dim": 4, **CONFIGS.get(name, {})}
    x, _, _, vocab = toy_problem(spec, n_users=20, n_items=30, n_artists=5, n_examples=32,
                                   history_length=config.get("history_length", 0))
    model = get_model(name)(spec, vocab, config)
    assert tuple(model.input["side"].shape) == (None, 2)
    base = model(x, training=False)
    moved = model({**x, "side": x["side"] + 3.0}, training=False)
    assert any(not np.allclose(np.asarray(base[o]), np.asarray(moved[o])) for o in spec.objective_names)
