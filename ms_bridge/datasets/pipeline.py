"""tf.data input pipelines yielding `(features, targets, weights)` for Keras `fit`.

Every element is a triple of dicts (docs/architecture.md §2):
  - features: `user_id`, `item_id`, `artist_id` int32 of shape (batch,), read
    from the frame's `user_idx`, `item_idx`, `artist_idx`; plus `side` float32
    (batch, n_side) and `recent_items` int32 (batch, L) when asked;
  - targets: `{objective: float32 (batch, 1)}`, unknown (NaN) values filled with 0;
  - weights: `{objective: float32 (batch, 1)}`, 1 where known, 0 where unknown.
Targets and weights have the models' output shape (batch, 1) so hand-written
losses such as `w * (y - p) ** 2` never broadcast; Keras accepts them as
per-output sample weights.

Example:
>>> import pandas as pd
>>> from ms_bridge.datasets.spec import ObjectiveSpec, DatasetSpec
>>> spec = DatasetSpec("toy", ("user", "artist"), (ObjectiveSpec("a", "user", "binary"),
...                    ObjectiveSpec("b", "artist", "bounded")), engagement="a", positive_rule=("a", 1.0))
>>> frame = pd.DataFrame({"user_idx": [1, 2], "item_idx": [1, 1], "artist_idx": [3, 3],
...                       "a": [1.0, float("nan")], "b": [0.5, 0.25]})
>>> features, targets, weights = next(iter(make_dataset(frame, spec, batch_size=2)))
>>> weights["a"].numpy().ravel().tolist(), targets["a"].numpy().ravel().tolist()
([1.0, 0.0], [1.0, 0.0])
"""

from __future__ import annotations

import glob
import os
from typing import Sequence

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import tensorflow as tf

from ms_bridge.datasets.spec import DatasetSpec

ID_FEATURES = {"user_id": "user_idx", "item_id": "item_idx", "artist_id": "artist_idx"}
SHARD_PATTERN = "part-{:05d}.parquet"


def frame_arrays(frame: pd.DataFrame, spec: DatasetSpec, side_features: Sequence[str] = (),
                 history_length: int = 0) -> tuple[dict, dict, dict]:
    """The numpy `(features, targets, weights)` dicts of a prepared frame (one row per example).

    Raises ValueError naming the column when one is missing, a side feature has
    NaN, or `recent_items` is not of length `history_length`.
    """
    needed = list(ID_FEATURES.values()) + list(spec.objective_names) + list(side_features)
    if history_length:
        needed.append("recent_items")
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ValueError(f"make_dataset: frame lacks column(s) {missing}; prepare() makes them "
                         f"(history_length > 0 for recent_items)")
    if history_length < 0:
        raise ValueError(f"history_length must be >= 0, got {history_length!r}")
    features = {name: frame[col].to_numpy(dtype=np.int32) for name, col in ID_FEATURES.items()}
    if side_features:
        side = frame[list(side_features)].to_numpy(dtype=np.float32)
        if np.isnan(side).any():
            bad = [c for c in side_features if frame[c].isna().any()]
            raise ValueError(f"side feature(s) {bad} contain NaN; fill them before building a dataset")
        features["side"] = side
    if history_length:
        recent = np.stack(frame["recent_items"].to_numpy()) if len(frame) else np.zeros((0, history_length))
        if recent.ndim != 2 or recent.shape[1] != history_length:
            raise ValueError(f"recent_items have shape {recent.shape[1:]} per row, expected ({history_length},)")
        features["recent_items"] = recent.astype(np.int32)
    targets, weights = {}, {}
    for name in spec.objective_names:
        y = frame[name].to_numpy(dtype=np.float32).reshape(-1, 1)
        known = ~np.isnan(y)
        targets[name] = np.where(known, y, np.float32(0.0))
        weights[name] = known.astype(np.float32)
    return features, targets, weights


def _check_batch(batch_size: int) -> None:
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")


def _epoch_seeds(seed: int, repeat: bool) -> tf.data.Dataset:
    # a fresh draw each time the dataset is iterated, so every epoch reshuffles, reproducibly
    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
    return seeds if repeat else seeds.take(1)


def _with_cardinality(ds: tf.data.Dataset, n_batches: int, repeat: bool) -> tf.data.Dataset:
    # flat_map hides the length; Keras 3 then warns "ran out of data" and mis-averages per-output losses
    count = tf.data.INFINITE_CARDINALITY if repeat else n_batches
    return ds.apply(tf.data.experimental.assert_cardinality(count))


def make_dataset(frame: pd.DataFrame, spec: DatasetSpec, batch_size: int, shuffle: bool = False,
                 seed: int = 0, side_features: Sequence[str] = (), history_length: int = 0,
                 repeat: bool = False) -> tf.data.Dataset:
    """An in-memory `tf.data.Dataset` of `(features, targets, weights)` batches.

    The frame's columns become tensors once; each batch is a `tf.gather` of a
    batch of row indices. With `shuffle`, the indices of an epoch are a seeded
    permutation (`tf.random.experimental.index_shuffle`) drawn afresh, and
    reproducibly, every time the dataset is iterated (every Keras epoch).
    The last batch may be smaller. `repeat=True` makes the dataset infinite.

    Example:
    >>> # ds = make_dataset(prepared.train, prepared.spec, 4096, shuffle=True, seed=1)
    >>> # model.fit(ds, validation_data=make_dataset(prepared.val, prepared.spec, 4096))
    """
    _check_batch(batch_size)
    arrays = frame_arrays(frame, spec, side_features, history_length)
    n = len(frame)
    if n == 0:
        raise ValueError("make_dataset: the frame has no rows")
    tensors = tf.nest.map_structure(tf.constant, arrays)
    n_batches = -(-n // batch_size)

    def fetch(epoch_seed, batch):
        index = tf.range(batch * batch_size, tf.minimum((batch + 1) * batch_size, n))
        if shuffle:
            index = tf.random.experimental.index_shuffle(index, tf.stack([epoch_seed, tf.constant(0, tf.int64)]),
                                                         n - 1)
        return tf.nest.map_structure(lambda t: tf.gather(t, index), tensors)

    batches = _epoch_seeds(seed, repeat).flat_map(
        lambda s: tf.data.Dataset.range(n_batches).map(lambda b: (s, b)))
    ds = batches.map(fetch, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return _with_cardinality(ds, n_batches, repeat).prefetch(tf.data.AUTOTUNE)


def write_parquet_shards(frame: pd.DataFrame, folder: str, rows_per_shard: int,
                         columns: Sequence[str] | None = None) -> list[str]:
    """Writes `frame` (or its `columns`) as `part-00000.parquet`, ... with `rows_per_shard` rows each.

    `recent_items` (arrays) is stored as a list<int32> column. Refuses a folder
    that already holds shards, so stale shards never mix with new ones.

    Example:
    >>> # paths = write_parquet_shards(prepared.train, "shards/train", rows_per_shard=1_000_000)
    """
    if not isinstance(rows_per_shard, (int, np.integer)) or rows_per_shard < 1:
        raise ValueError(f"rows_per_shard must be a positive integer, got {rows_per_shard!r}")
    if len(frame) == 0:
        raise ValueError("write_parquet_shards: the frame has no rows")
    os.makedirs(folder, exist_ok=True)
    existing = glob.glob(os.path.join(folder, "part-*.parquet"))
    if existing:
        raise ValueError(f"folder {folder!r} already holds {len(existing)} shard(s); use an empty folder")
    data = frame if columns is None else frame[list(columns)]
    paths = []
    for shard, start in enumerate(range(0, len(data), rows_per_shard)):
        path = os.path.join(folder, SHARD_PATTERN.format(shard))
        data.iloc[start:start + rows_per_shard].reset_index(drop=True).to_parquet(path, index=False)
        paths.append(path)
    return paths


def dataset_from_parquet(folder: str, spec: DatasetSpec, batch_size: int, shuffle: bool = False,
                         seed: int = 0, side_features: Sequence[str] = (), history_length: int = 0,
                         repeat: bool = False) -> tf.data.Dataset:
    """Streams `(features, targets, weights)` batches from the shards of `write_parquet_shards`.

    One shard at a time is read with pandas/pyarrow inside `tf.py_function`
    (so memory holds about one shard plus the prefetch buffer) and re-batched
    across shard boundaries. With `shuffle`, the shard order and the rows
    within each shard are permuted by a seed drawn afresh every epoch; rows of
    different shards are not mixed beyond the batches that straddle a boundary,
    so this is a coarser shuffle than `make_dataset`'s global one.

    Example:
    >>> # ds = dataset_from_parquet("shards/train", spec, 4096, shuffle=True)
    """
    _check_batch(batch_size)
    files = sorted(glob.glob(os.path.join(folder, "part-*.parquet")))
    if not files:
        raise ValueError(f"no parquet shards (part-*.parquet) in {folder!r}")
    sample = frame_arrays(pd.read_parquet(files[0]).head(1), spec, side_features, history_length)
    flat = tf.nest.flatten(sample)
    dtypes = [tf.as_dtype(a.dtype) for a in flat]
    shapes = [tf.TensorShape([None, *a.shape[1:]]) for a in flat]

    def read(path):
        frame = pd.read_parquet(path.numpy().decode())
        return tf.nest.flatten(frame_arrays(frame, spec, side_features, history_length))

    def load(epoch_seed, shard_number, path):
        tensors = tf.py_function(read, [path], dtypes)
        for t, shape in zip(tensors, shapes):
            t.set_shape(shape)
        if shuffle:
            rows = tf.shape(tensors[0], out_type=tf.int64)[0]
            index = tf.random.experimental.index_shuffle(
                tf.range(rows), tf.stack([epoch_seed, shard_number]), tf.maximum(rows - 1, 0))
            tensors = [tf.gather(t, index) for t in tensors]
        return tf.nest.pack_sequence_as(sample, tensors)

    paths = tf.constant(files)

    def shards(epoch_seed):
        order = tf.range(len(files), dtype=tf.int64)
        if shuffle:
            # Stateless, like the row shuffle: `Dataset.shuffle` with a tensor seed breaks once a
            # global TensorFlow seed is set (keras.utils.set_random_seed).
            order = tf.random.experimental.index_shuffle(
                order, tf.stack([epoch_seed, tf.constant(2**31 - 1, tf.int64)]), len(files) - 1)
        return tf.data.Dataset.from_tensor_slices(order).map(lambda i: load(epoch_seed, i, tf.gather(paths, i)))

    rows = sum(pq.read_metadata(path).num_rows for path in files)
    ds = _epoch_seeds(seed, repeat).flat_map(shards).rebatch(batch_size)
    return _with_cardinality(ds, -(-rows // batch_size), repeat).prefetch(tf.data.AUTOTUNE)
