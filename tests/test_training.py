"""The training harness: fit, early stopping, resume after a kill, optimizers, logs, predict.

The tiny model and dataset below follow the model and pipeline contracts of
docs/architecture.md §2-3, so these tests do not depend on the real builders.
"""

import json
import pathlib
import subprocess
import sys
import types

import keras
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from ms_bridge import training
from ms_bridge.datasets.spec import DatasetSpec, ObjectiveSpec
from ms_bridge.task import MultiObjectiveTask
from ms_bridge.training import PartitionedOptimizer, SparseAdagrad, TrainConfig

REPO = pathlib.Path(__file__).resolve().parents[1]
SPEC = DatasetSpec(
    name="train_toy", stakeholders=("user", "artist"),
    objectives=(ObjectiveSpec("pct_listening", "user", "bounded"),
                ObjectiveSpec("is_skip", "user", "binary"),
                ObjectiveSpec("new_fan", "artist", "bounded")),
    engagement="pct_listening", positive_rule=("pct_listening", 0.5), kcore=0)
VOCAB = {"user_id": 21, "item_id": 31, "artist_id": 11}


def tiny_builder(spec, vocab, config):
    """Embeddings -> one tower per stakeholder with a `<s>_bridge` layer -> sigmoid heads."""
    inputs = {n: keras.Input((), dtype="int32", name=n) for n in ("user_id", "item_id", "artist_id")}
    embedded = [keras.layers.Embedding(vocab[n], 4, name=f"{n[:-3]}_embedding")(inputs[n]) for n in inputs]
    shared = keras.layers.Concatenate()(embedded)
    towers = {s: keras.layers.Dense(6, activation="relu", name=f"{s}_bottom")(shared) for s in spec.stakeholders}
    joined = keras.layers.Concatenate()(list(towers.values()))
    outputs = {}
    for s in spec.stakeholders:
        bridge = keras.layers.Dense(6, activation="relu", name=f"{s}_bridge")(joined)
        if config.get("dropout"):
            bridge = keras.layers.Dropout(config["dropout"], name=f"{s}_dropout")(bridge)
        for o in spec.objectives_of(s):
            outputs[o.name] = keras.layers.Dense(1, activation="sigmoid", name=o.name)(bridge)
    return keras.Model(inputs, outputs, name="tiny")


def tiny_frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    users, items = rng.integers(1, 21, n), rng.integers(1, 31, n)
    artists = items % 10 + 1
    affinity = np.sin(users) * np.cos(items)
    frame = pd.DataFrame({"user_idx": users.astype(np.int32), "item_idx": items.astype(np.int32),
                          "artist_idx": artists.astype(np.int32)})
    frame["pct_listening"] = np.clip(0.5 + 0.4 * affinity + rng.normal(0, 0.05, n), 0, 1).astype(np.float32)
    frame["is_skip"] = (affinity < 0).astype(np.float32)
    fan = np.clip(0.5 + 0.3 * affinity, 0, 1).astype(np.float32)
    fan[rng.random(n) < 0.3] = np.nan  # unknown targets are masked
    frame["new_fan"] = fan
    return frame


def tiny_make_dataset(frame, spec, batch_size, shuffle=False, seed=0, side_features=(), history_length=0):
    """A pipeline following `ms_bridge.datasets.pipeline.make_dataset`'s contract."""
    features = {"user_id": frame["user_idx"].to_numpy(np.int32), "item_id": frame["item_idx"].to_numpy(np.int32),
                "artist_id": frame["artist_idx"].to_numpy(np.int32)}
    values = {n: frame[n].to_numpy(np.float32) for n in spec.objective_names}
    targets = {n: np.nan_to_num(v, nan=0.0) for n, v in values.items()}
    weights = {n: (~np.isnan(v)).astype(np.float32) for n, v in values.items()}
    ds = tf.data.Dataset.from_tensor_slices((features, targets, weights))
    if shuffle:
        ds = ds.shuffle(len(frame), seed=seed, reshuffle_each_iteration=False)
    return ds.batch(batch_size)


@pytest.fixture(scope="module")
def prepared():
    return types.SimpleNamespace(train=tiny_frame(600, 0), val=tiny_frame(200, 1), test=tiny_frame(100, 2),
                                 spec=SPEC, vocab=VOCAB)


def run(prepared, **kwargs):
    kwargs.setdefault("verbose", 0)
    kwargs.setdefault("batch_size", 64)
    callbacks = kwargs.pop("callbacks", ())
    builder = kwargs.pop("builder", tiny_builder)
    return training.fit(builder, prepared, MultiObjectiveTask(SPEC), TrainConfig(**kwargs),
                        callbacks=callbacks, make_dataset=tiny_make_dataset)


def variables(model):
    return [np.array(v.numpy()) for v in model.variables]


def test_fit_learns_and_reports_per_objective_metrics(prepared):
    result = run(prepared, epochs=4, learning_rate=0.01, patience=0)
    h = result.history
    assert len(h["loss"]) == 4 and result.epochs_trained == 4
    assert h["val_loss"][-1] < h["val_loss"][0]
    for name in SPEC.objective_names:
        assert {f"{name}_rmse", f"{name}_mae", f"val_{name}_rmse", f"val_{name}_loss"} <= set(h)
    assert result.best_epoch == int(np.argmin(h["val_loss"]))
    # The reported validation RMSE is the masked one: recompute it from predictions.
    preds = training.predict(result.model, prepared.val)
    known = ~prepared.val["new_fan"].isna().to_numpy()
    err = preds["new_fan"][known] - prepared.val["new_fan"].to_numpy()[known]
    assert h["val_new_fan_rmse"][result.best_epoch] == pytest.approx(np.sqrt(np.mean(err ** 2)), rel=1e-4)


def test_same_seed_same_weights_other_seed_differs(prepared):
    a = variables(run(prepared, epochs=1, steps_per_epoch=4, seed=3).model)
    b = variables(run(prepared, epochs=1, steps_per_epoch=4, seed=3).model)
    c = variables(run(prepared, epochs=1, steps_per_epoch=4, seed=4).model)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))


class RecordWeights(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.seen = {}

    def on_epoch_end(self, epoch, logs=None):
        self.seen[epoch] = variables(self.model)


def test_early_stopping_restores_the_best_epoch(prepared):
    record = RecordWeights()
    # A huge min_delta means only the first epoch counts as an improvement.
    result = run(prepared, epochs=10, patience=2, min_delta=1e9, callbacks=[record],
                 builder=lambda: tiny_builder(SPEC, VOCAB, {}))  # zero-argument builders work too
    assert result.stopped_early and result.epochs_trained == 3 and result.best_epoch == 0
    assert all(np.array_equal(x, y) for x, y in zip(variables(result.model), record.seen[0]))


class Kill(keras.callbacks.Callback):
    """Interrupts training in the middle of epoch `epoch`, like a killed process."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch, self.current = epoch, -1

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.current == self.epoch and batch == 2:
            raise KeyboardInterrupt(f"killed in epoch {self.epoch}")


def test_killed_run_resumes_to_the_uninterrupted_result(prepared, tmp_path):
    # Split optimizer and dropout: optimizer slots and seed states must be restored too.
    common = dict(epochs=4, patience=0, seed=7, embedding_optimizer="sparse_adagrad",
                  builder=lambda s, v, c: tiny_builder(s, v, {"dropout": 0.2}))
    full = run(prepared, **common)
    folder = tmp_path / "ckpt"
    with pytest.raises(KeyboardInterrupt):
        run(prepared, checkpoint_dir=str(folder), callbacks=[Kill(2)], **common)
    state = json.loads((folder / "state.json").read_text())
    assert state["epoch"] == 1  # epochs 0 and 1 completed before the kill
    resumed = run(prepared, checkpoint_dir=str(folder), **common)
    assert resumed.resumed_from == 2 and resumed.epochs_trained == 4
    for x, y in zip(variables(full.model), variables(resumed.model)):
        np.testing.assert_array_equal(x, y)
    for key in full.history:
        np.testing.assert_allclose(full.history[key], resumed.history[key], rtol=1e-6)
    names = sorted(p.name for p in folder.iterdir())  # older epochs' files are removed
    assert names == [f"best_{resumed.best_epoch:04d}.npz", "epoch_0003.npz", "epoch_0003.optimizer.npz",
                     "state.json"]


def adagrad_reference(table, ids, scale, steps, lr=0.1, init=0.1, eps=1e-7):
    """Textbook Adagrad on loss sum_k scale_k * table[ids_k]^2, one row at a time."""
    value, acc = table.astype(np.float64), np.full(table.shape, init)
    for _ in range(steps):
        grad = np.zeros_like(value)
        for k, row in enumerate(ids):
            grad[row] += 2 * scale[k] * value[row]
        acc += grad ** 2
        value -= lr * grad / np.sqrt(acc + eps)
    return value


def test_sparse_adagrad_matches_textbook_adagrad_with_duplicate_ids():
    table = np.random.default_rng(0).normal(size=(6, 3)).astype(np.float32)
    ids, scale = [1, 4, 1, 0], [1.0, 2.0, 3.0, 4.0]
    var, optimizer = keras.Variable(table), SparseAdagrad(0.1)
    for _ in range(3):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.gather(var.value, ids) ** 2 * tf.constant(scale)[:, None])
        grad = tape.gradient(loss, var.value)
        assert isinstance(grad, tf.IndexedSlices)
        optimizer.apply([grad], [var])
    np.testing.assert_allclose(var.numpy(), adagrad_reference(table, ids, scale, 3), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(var.numpy()[[2, 3, 5]], table[[2, 3, 5]])  # untouched rows


def test_partitioned_optimizer_routes_embeddings_and_serialises(prepared, tmp_path):
    result = run(prepared, epochs=1, patience=0, embedding_optimizer="sparse_adagrad",
                 embedding_learning_rate=0.05)
    opt = result.model.optimizer
    assert isinstance(opt, PartitionedOptimizer)
    embedded = sorted(v.path for v in result.model.trainable_variables if opt._is_embedding(v))
    assert embedded == ["artist_embedding/embeddings", "item_embedding/embeddings", "user_embedding/embeddings"]
    assert len(opt.embedding.variables) == 2 + 3  # iteration, learning rate, one accumulator per table
    assert int(opt.embedding.iterations.numpy()) == int(opt.iterations.numpy()) == 10
    path = tmp_path / "m.keras"
    result.model.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded.optimizer, PartitionedOptimizer)
    assert loaded.optimizer.embedding.learning_rate.numpy() == pytest.approx(0.05)


def test_tensorboard_logs_losses_metrics_and_bridge_histograms(prepared, tmp_path):
    run(prepared, epochs=2, patience=0, log_dir=str(tmp_path / "tb"))
    tags = {}
    for sub in ("train", "validation", "bridge"):
        files = list((tmp_path / "tb" / sub).glob("events.out.tfevents.*"))
        assert files, sub
        tags[sub] = {v.tag for f in files for e in tf.compat.v1.train.summary_iterator(str(f))
                     for v in e.summary.value}
    assert {"epoch_loss", "epoch_new_fan_rmse", "epoch_is_skip_mae"} <= tags["validation"]
    assert {"user_bridge/kernel", "artist_bridge/kernel", "user_bridge/bias"} <= tags["bridge"]


def test_predict_from_frame_dataset_and_dict_agree(prepared):
    model = tiny_builder(SPEC, VOCAB, {})
    frame = prepared.test
    a = training.predict(model, frame)
    b = training.predict(model, tiny_make_dataset(frame, SPEC, 32))
    c = training.predict(model, training.frame_features(model, frame), batch_size=7)
    for name in SPEC.objective_names:
        assert a[name].shape == (len(frame),)
        np.testing.assert_allclose(a[name], b[name], rtol=1e-6)
        np.testing.assert_allclose(a[name], c[name], rtol=1e-6)


def test_mirrored_strategy_needs_a_builder(prepared):
    mirrored = run(prepared, epochs=1, patience=0, strategy="mirrored", steps_per_epoch=3)
    assert int(mirrored.model.optimizer.iterations.numpy()) == 3
    with pytest.raises(ValueError, match="mirrored"):
        run(prepared, epochs=1, strategy="mirrored", builder=tiny_builder(SPEC, VOCAB, {}))


@pytest.mark.parametrize("field, value", [("epochs", 0), ("optimizer", "lamb"), ("strategy", "tpu"),
                                          ("patience", -1), ("learning_rate", 0.0), ("verbose", 3)])
def test_invalid_config_names_the_value(field, value):
    with pytest.raises(ValueError, match=str(value)):
        TrainConfig(**{field: value})


@pytest.mark.slow
def test_deterministic_ops_give_identical_runs():
    # Op determinism is process-wide and irreversible, so it runs in its own interpreter.
    code = (
        "import sys, numpy as np, types; sys.path.insert(0, 'tests');"
        "import test_training as t; from ms_bridge import training;"
        "p = types.SimpleNamespace(train=t.tiny_frame(400, 0), val=t.tiny_frame(100, 1), spec=t.SPEC, vocab=t.VOCAB);"
        "import tensorflow as tf;"
        "runs = [t.run(p, epochs=1, patience=0, deterministic=True) for _ in range(2)];"
        "assert all(np.array_equal(a, b) for a, b in zip(t.variables(runs[0].model), t.variables(runs[1].model)));"
        "print('IDENTICAL')")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert "IDENTICAL" in done.stdout, done.stderr[-3000:]


def test_with_registry_model_and_real_pipeline():
    pipeline = pytest.importorskip("ms_bridge.datasets.pipeline")
    registry = pytest.importorskip("ms_bridge.registry")
    try:
        builder = registry.get_model("ms_bridge_ncf")
    except (ValueError, ImportError) as error:
        pytest.skip(f"ms_bridge_ncf is not available yet: {error}")
    frame = tiny_frame(300, 5)
    for column in ("pct_listening", "is_skip", "new_fan"):
        frame[column] = frame[column].astype(np.float32)
    prepared = types.SimpleNamespace(train=frame, val=tiny_frame(100, 6), spec=SPEC, vocab=VOCAB)
    result = training.fit(builder, prepared, MultiObjectiveTask(SPEC),
                          TrainConfig(epochs=1, batch_size=64, verbose=0, patience=0, steps_per_epoch=3),
                          make_dataset=pipeline.make_dataset)
    assert np.isfinite(result.history["val_loss"][0])
