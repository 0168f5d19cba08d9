"""MultiObjectiveTask: masked losses and metrics against hand-computed values."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from ms_bridge.datasets.spec import DatasetSpec, ObjectiveSpec
from ms_bridge.task import MultiObjectiveTask

SPEC = DatasetSpec(
    name="task_toy", stakeholders=("user", "artist"),
    objectives=(ObjectiveSpec("pct_listening", "user", "bounded"),
                ObjectiveSpec("is_skip", "user", "binary"),
                ObjectiveSpec("new_fan", "artist", "bounded")),
    engagement="pct_listening", positive_rule=("pct_listening", 0.5), kcore=0)

# Fixed predictions per item: the model outputs exactly these (sigmoid of stored logits).
PRED = {"pct_listening": [0.2, 0.4, 0.6, 0.8], "is_skip": [0.1, 0.3, 0.5, 0.7],
        "new_fan": [0.9, 0.9, 0.9, 0.9]}


def fixed_model() -> keras.Model:
    """Maps item_id i to PRED[objective][i] for every objective."""
    inputs = {n: keras.Input((), dtype="int32", name=n) for n in ("user_id", "item_id", "artist_id")}
    outputs = {}
    for name, values in PRED.items():
        logits = np.log(np.array(values) / (1 - np.array(values))).reshape(-1, 1)
        table = keras.layers.Embedding(4, 1, embeddings_initializer=keras.initializers.Constant(logits),
                                       name=f"{name}_table")(inputs["item_id"])
        outputs[name] = keras.layers.Activation("sigmoid", name=name)(table)
    return keras.Model(inputs, outputs)


def one_batch(targets, weights):
    features = {n: np.arange(4, dtype=np.int32) for n in ("user_id", "item_id", "artist_id")}
    return tf.data.Dataset.from_tensor_slices((
        features, {k: np.asarray(v, np.float32) for k, v in targets.items()},
        {k: np.asarray(v, np.float32) for k, v in weights.items()})).batch(4)


TARGETS = {"pct_listening": [0.0, 1.0, 0.5, 1.0], "is_skip": [0.0, 0.0, 1.0, 1.0],
           "new_fan": [1.0, 0.0, 0.0, 0.0]}
WEIGHTS = {"pct_listening": [1, 1, 0, 1], "is_skip": [1, 1, 1, 1], "new_fan": [0, 0, 0, 0]}
# pct_listening known errors 0.2, -0.6, -0.2: MSE 0.44/3, MAE 1/3.
# is_skip errors 0.1, 0.3, -0.5, -0.3: MSE 0.44/4, MAE 0.3.
HAND = {"pct_listening_loss": 0.44 / 3, "pct_listening_rmse": math.sqrt(0.44 / 3), "pct_listening_mae": 1 / 3,
        "is_skip_loss": 0.11, "is_skip_rmse": math.sqrt(0.11), "is_skip_mae": 0.3}


def test_keras_losses_and_metrics_are_masked_and_match_hand_values():
    task = MultiObjectiveTask(SPEC)
    model = task.compile(fixed_model(), "adam")
    logs = model.evaluate(one_batch(TARGETS, WEIGHTS), verbose=0, return_dict=True)
    for key, value in HAND.items():
        assert logs[key] == pytest.approx(value, abs=1e-6), key
    assert logs["new_fan_loss"] == pytest.approx(0.0, abs=1e-7)  # nothing known: no loss
    assert logs["loss"] == pytest.approx(0.44 / 3 + 0.11, abs=1e-6)


def test_masked_targets_do_not_move_loss_or_metrics():
    task = MultiObjectiveTask(SPEC)
    model = task.compile(fixed_model(), "adam")
    base = model.evaluate(one_batch(TARGETS, WEIGHTS), verbose=0, return_dict=True)
    moved = {k: list(v) for k, v in TARGETS.items()}
    moved["pct_listening"][2] = 0.0      # masked entry
    moved["new_fan"] = [0.3, 0.7, 0.1, 0.0]  # fully masked objective
    again = model.evaluate(one_batch(moved, WEIGHTS), verbose=0, return_dict=True)
    for key in base:
        assert again[key] == pytest.approx(base[key], abs=1e-7), key


def test_masked_targets_get_no_gradient():
    task = MultiObjectiveTask(SPEC)
    model = fixed_model()
    losses = task.losses()
    features = {n: np.arange(4, dtype=np.int32) for n in ("user_id", "item_id", "artist_id")}
    with tf.GradientTape() as tape:
        out = model(features)
        loss = losses["pct_listening"](np.asarray(TARGETS["pct_listening"], np.float32)[:, None],
                                       out["pct_listening"],
                                       sample_weight=np.asarray(WEIGHTS["pct_listening"], np.float32))
    table = model.get_layer("pct_listening_table").embeddings
    grad = tf.convert_to_tensor(tape.gradient(loss, table)).numpy().ravel()
    assert grad[2] == 0.0 and np.all(grad[[0, 1, 3]] != 0.0)


def test_loss_weights_scale_the_total():
    task = MultiObjectiveTask(SPEC, loss_weights={"is_skip": 3.0, "pct_listening": 0.5})
    model = task.compile(fixed_model(), "adam")
    logs = model.evaluate(one_batch(TARGETS, WEIGHTS), verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx(0.5 * 0.44 / 3 + 3.0 * 0.11, abs=1e-6)
    assert task.evaluate(PRED, TARGETS, WEIGHTS)["loss"] == pytest.approx(0.5 * 0.44 / 3 + 3.0 * 0.11)


def test_numpy_evaluate_matches_hand_values_and_ignores_unknowns():
    task = MultiObjectiveTask(SPEC)
    out = task.evaluate(PRED, TARGETS, WEIGHTS)
    for key, value in HAND.items():
        assert out[key] == pytest.approx(value), key
    assert out["pct_listening_count"] == 3 and out["new_fan_count"] == 0
    assert math.isnan(out["new_fan_rmse"])
    # NaN targets count as unknown even without weights; objectives absent from the targets are skipped.
    nan_targets = {"pct_listening": [0.0, 1.0, np.nan, 1.0]}
    out = task.evaluate(PRED, nan_targets)
    assert out["pct_listening_rmse"] == pytest.approx(HAND["pct_listening_rmse"])
    assert "is_skip_rmse" not in out and out["loss"] == pytest.approx(0.44 / 3)


def test_bce_numpy_and_keras_agree():
    task = MultiObjectiveTask(SPEC, loss="bce")
    model = task.compile(fixed_model(), "adam")
    logs = model.evaluate(one_batch(TARGETS, WEIGHTS), verbose=0, return_dict=True)
    p, y = np.array([0.2, 0.4, 0.8]), np.array([0.0, 1.0, 1.0])
    hand = float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))))
    assert logs["pct_listening_loss"] == pytest.approx(hand, abs=1e-5)
    assert task.evaluate(PRED, TARGETS, WEIGHTS)["pct_listening_loss"] == pytest.approx(hand, abs=1e-6)


@pytest.mark.parametrize("kwargs, message", [
    ({"loss": "hinge"}, "hinge"),
    ({"loss_weights": {"nope": 1.0}}, "nope"),
    ({"loss_weights": {"is_skip": -1.0}}, "-1.0"),
])
def test_invalid_arguments_name_the_value(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MultiObjectiveTask(SPEC, **kwargs)


def test_compile_refuses_a_model_without_every_objective():
    inputs = {n: keras.Input((), dtype="int32", name=n) for n in ("user_id", "item_id", "artist_id")}
    x = keras.layers.Embedding(4, 1)(inputs["item_id"])
    model = keras.Model(inputs, {"pct_listening": keras.layers.Activation("sigmoid", name="pct_listening")(x)})
    with pytest.raises(ValueError, match="is_skip"):
        MultiObjectiveTask(SPEC).compile(model, "adam")
