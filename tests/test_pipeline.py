"""Tests of ms_bridge.datasets.pipeline: element spec, masks, shuffling, Parquet shards, Keras fit."""

import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

import keras
from ms_bridge.datasets import pipeline
from ms_bridge.datasets.spec import DatasetSpec, ObjectiveSpec

SPEC = DatasetSpec(
    name="toy_pipeline", stakeholders=("user", "artist"),
    objectives=(ObjectiveSpec("a", "user", "bounded"), ObjectiveSpec("b", "artist", "binary")),
    engagement="a", positive_rule=("a", 0.5), kcore=0, side_features=("s1", "s2"))


def _frame(n=50, history=3, seed=0):
    rng = np.random.default_rng(seed)
    f = pd.DataFrame({"user_idx": np.arange(n, dtype=np.int32), "item_idx": rng.integers(0, 9, n).astype(np.int32),
                      "artist_idx": rng.integers(0, 4, n).astype(np.int32),
                      "a": rng.random(n).astype(np.float32), "b": rng.integers(0, 2, n).astype(np.float32),
                      "s1": rng.random(n), "s2": rng.random(n)})
    f.loc[f.index % 5 == 0, "a"] = np.nan
    f.loc[f.index % 7 == 0, "b"] = np.nan
    f["recent_items"] = list(rng.integers(0, 9, (n, history)).astype(np.int32))
    return f


def _collect(ds):
    batches = list(ds)
    return tf.nest.map_structure(lambda *xs: np.concatenate([x.numpy() for x in xs]), *batches), batches


def test_element_spec_dtypes_and_shapes():
    ds = pipeline.make_dataset(_frame(), SPEC, batch_size=16, side_features=("s1", "s2"), history_length=3)
    features, targets, weights = ds.element_spec
    assert {k: (v.dtype, v.shape.as_list()) for k, v in features.items()} == {
        "user_id": (tf.int32, [None]), "item_id": (tf.int32, [None]), "artist_id": (tf.int32, [None]),
        "side": (tf.float32, [None, 2]), "recent_items": (tf.int32, [None, 3])}
    for d in (targets, weights):
        assert {k: (v.dtype, v.shape.as_list()) for k, v in d.items()} == {
            "a": (tf.float32, [None, 1]), "b": (tf.float32, [None, 1])}
    plain = pipeline.make_dataset(_frame(), SPEC, batch_size=16)
    assert set(plain.element_spec[0]) == {"user_id", "item_id", "artist_id"}


def test_values_masks_and_order_without_shuffle():
    f = _frame()
    (features, targets, weights), batches = _collect(
        pipeline.make_dataset(f, SPEC, batch_size=16, side_features=("s1", "s2"), history_length=3))
    assert [len(b[0]["user_id"]) for b in batches] == [16, 16, 16, 2]
    assert pipeline.make_dataset(f, SPEC, batch_size=16).cardinality().numpy() == 4  # Keras needs it known
    np.testing.assert_array_equal(features["user_id"], f["user_idx"])
    np.testing.assert_array_equal(features["recent_items"], np.stack(f["recent_items"].to_numpy()))
    np.testing.assert_allclose(features["side"], f[["s1", "s2"]].to_numpy(), rtol=1e-6)
    for name in ("a", "b"):
        known = ~f[name].isna().to_numpy()
        np.testing.assert_array_equal(weights[name][:, 0], known.astype(np.float32))
        np.testing.assert_array_equal(targets[name][:, 0], np.where(known, f[name].fillna(0.0), 0.0))
        assert not np.isnan(targets[name]).any()


def test_shuffle_is_seeded_reshuffles_each_epoch_and_covers_every_row():
    f = _frame(n=100)
    order = lambda ds: _collect(ds)[0][0]["user_id"]  # noqa: E731
    ds = pipeline.make_dataset(f, SPEC, batch_size=32, shuffle=True, seed=7)
    first, second = order(ds), order(ds)
    assert sorted(first.tolist()) == sorted(second.tolist()) == list(range(100))
    assert not np.array_equal(first, second)  # a new permutation each epoch
    again = pipeline.make_dataset(f, SPEC, batch_size=32, shuffle=True, seed=7)
    assert np.array_equal(order(again), first) and np.array_equal(order(again), second)
    other = pipeline.make_dataset(f, SPEC, batch_size=32, shuffle=True, seed=8)
    assert not np.array_equal(order(other), first)


def test_repeat_is_infinite_and_reshuffles():
    ds = pipeline.make_dataset(_frame(n=20), SPEC, batch_size=20, shuffle=True, seed=1, repeat=True)
    assert ds.cardinality().numpy() == tf.data.INFINITE_CARDINALITY
    epochs = [b[0]["user_id"].numpy() for b in ds.take(3)]
    assert all(sorted(e.tolist()) == list(range(20)) for e in epochs)
    assert not np.array_equal(epochs[0], epochs[1])


def test_invalid_arguments_name_the_value():
    f = _frame()
    with pytest.raises(ValueError, match="0"):
        pipeline.make_dataset(f, SPEC, batch_size=0)
    with pytest.raises(ValueError, match="recent_items"):
        pipeline.make_dataset(f.drop(columns=["recent_items"]), SPEC, 8, history_length=3)
    with pytest.raises(ValueError, match=r"\(5,\)"):
        pipeline.make_dataset(f, SPEC, 8, history_length=5)
    g = f.copy()
    g.loc[3, "s2"] = np.nan
    with pytest.raises(ValueError, match="s2"):
        pipeline.make_dataset(g, SPEC, 8, side_features=("s1", "s2"))


def test_parquet_shards_match_memory(tmp_path):
    f = _frame(n=103)
    paths = pipeline.write_parquet_shards(f, str(tmp_path / "shards"), rows_per_shard=25)
    assert [p.rsplit("/", 1)[1] for p in paths] == [f"part-0000{i}.parquet" for i in range(5)]
    kwargs = dict(side_features=("s1", "s2"), history_length=3)
    (mem, _) = _collect(pipeline.make_dataset(f, SPEC, 16, **kwargs))
    (disk, batches) = _collect(pipeline.dataset_from_parquet(str(tmp_path / "shards"), SPEC, 16, **kwargs))
    assert [len(b[0]["user_id"]) for b in batches] == [16] * 6 + [7]  # batches straddle shards
    assert len(batches) == pipeline.dataset_from_parquet(str(tmp_path / "shards"), SPEC, 16).cardinality().numpy()
    tf.nest.map_structure(np.testing.assert_array_equal, mem, disk)
    shuffled = pipeline.dataset_from_parquet(str(tmp_path / "shards"), SPEC, 16, shuffle=True, seed=2, **kwargs)
    one, two = _collect(shuffled)[0][0]["user_id"], _collect(shuffled)[0][0]["user_id"]
    assert sorted(one.tolist()) == sorted(two.tolist()) == list(range(103)) and not np.array_equal(one, two)
    with pytest.raises(ValueError, match="already holds"):
        pipeline.write_parquet_shards(f, str(tmp_path / "shards"), 25)
    with pytest.raises(ValueError, match="no parquet"):
        pipeline.dataset_from_parquet(str(tmp_path), SPEC, 16)


def _tiny_model():
    user = keras.Input(shape=(), dtype="int32", name="user_id")
    emb = keras.layers.Embedding(8, 2, embeddings_initializer="ones")(user)
    outputs = {name: keras.layers.Dense(1, name=name, kernel_initializer="zeros")(emb) for name in ("a", "b")}
    model = keras.Model({"user_id": user}, outputs)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss={"a": "mse", "b": "mse"})
    return model


def test_keras_fit_accepts_triples_and_zero_weight_removes_an_example():
    spec = DatasetSpec(name="toy_fit", stakeholders=("user", "artist"),
                       objectives=(ObjectiveSpec("a", "user", "bounded"), ObjectiveSpec("b", "artist", "bounded")),
                       engagement="a", positive_rule=("a", 0.5), kcore=0)
    f = pd.DataFrame({"user_idx": [1, 2, 3, 4], "item_idx": 1, "artist_idx": 1,
                      "a": [1.0, 1.0, 1.0, np.nan], "b": [0.0, 0.0, 0.0, 1.0]})
    ds = pipeline.make_dataset(f, spec, batch_size=4)
    model = _tiny_model()
    # predictions are 0: a-loss = (1 + 1 + 1 + 0 * 0) / 4 (Keras divides by the batch size), b-loss = 1 / 4
    result = model.evaluate(ds, verbose=0, return_dict=True)
    assert result["a_loss"] == pytest.approx(0.75) and result["b_loss"] == pytest.approx(0.25)
    model.fit(ds, epochs=3, verbose=0)
    # the unknown target's value cannot matter: put a large value under the zero weight, train again
    arrays = pipeline.frame_arrays(f, spec)
    arrays[1]["a"][3, 0] = 100.0
    other = _tiny_model()
    other.fit(tf.data.Dataset.from_tensor_slices(arrays).batch(4), epochs=3, verbose=0)
    for w1, w2 in zip(model.get_weights(), other.get_weights()):
        np.testing.assert_allclose(w1, w2, rtol=1e-6)
    # ...while the same value with weight 1 changes the fit
    arrays[2]["a"][3, 0] = 1.0
    third = _tiny_model()
    third.fit(tf.data.Dataset.from_tensor_slices(arrays).batch(4), epochs=3, verbose=0)
    assert not np.allclose(third.get_layer("a").get_weights()[1], model.get_layer("a").get_weights()[1])
