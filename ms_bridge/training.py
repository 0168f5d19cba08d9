"""The training harness: seeds, optimizers, strategies, early stopping, resume.

`fit(model_or_builder, prepared, task, config)` trains any model that follows
the model contract (docs/architecture.md §3) on a `PreparedData` (train and
validation frames) and returns a `TrainResult`. It runs one `model.fit` call
per epoch so that it controls what Keras callbacks cannot do across a kill:

- the training set is reshuffled with seed `config.seed + epoch`, so epoch `e`
  sees the same order whether or not the run was interrupted before it;
- after every epoch the model's variables (weights and dropout seed states),
  the optimizer's variables, the best weights so far and the early-stopping
  state are written to `config.checkpoint_dir`; a new `fit` with the same
  folder resumes after the last completed epoch and ends where an
  uninterrupted run would have ended;
- early stopping watches `val_loss` (the training loss when there is no
  validation split) and restores the best epoch's weights.

Example:
>>> config = TrainConfig(epochs=2, batch_size=256, verbose=0)   # doctest: +SKIP
>>> result = fit("ms_bridge_ncf", prepared, MultiObjectiveTask(prepared.spec), config)  # doctest: +SKIP
>>> result.best_epoch, sorted(result.history)[:2]               # doctest: +SKIP
(1, ['loss', 'new_fan_loss'])
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import os
import pathlib
import re
from typing import Any, Callable, Mapping, Sequence

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from ms_bridge.task import MultiObjectiveTask

STRATEGIES = ("default", "mirrored", "multi_worker")
OPTIMIZERS = ("adam", "adagrad", "sparse_adagrad", "sgd", "rmsprop")
#: Variables of layers named `*_embedding` (Keras `Embedding` stores `<layer>/embeddings`).
EMBEDDING_PATTERN = r"(^|/)[^/]*_embedding/"
_STATE_FILE = "state.json"
_ID_COLUMNS = {"user_id": "user_idx", "item_id": "item_idx", "artist_id": "artist_idx"}


@dataclasses.dataclass
class TrainConfig:
    """How to train. Defaults follow Appendix B (batch 512, learning rate 1e-3).

    Attributes:
        epochs: maximum number of epochs.
        batch_size: global batch size (split across replicas by a strategy).
        learning_rate: learning rate of `optimizer`.
        optimizer: one of `OPTIMIZERS`, for every variable (or every
            non-embedding variable when `embedding_optimizer` is set).
        embedding_optimizer: `None` (one optimizer for all) or one of
            `OPTIMIZERS` for the variables of `*_embedding` layers.
        embedding_learning_rate: learning rate of `embedding_optimizer`;
            `None` uses `learning_rate`.
        patience: epochs without a `min_delta` improvement of the monitored
            loss before stopping; 0 disables early stopping.
        min_delta: smallest decrease that counts as an improvement.
        seed: seeds Python, numpy, TensorFlow and Keras, and the shuffles.
        deterministic: also enable TensorFlow op determinism (process-wide
            and irreversible; slower on GPU).
        strategy: one of `STRATEGIES`; `multi_worker` reads `TF_CONFIG`.
        log_dir: TensorBoard folder (losses, per-objective metrics, bridge
            weight histograms); `None` writes no logs.
        checkpoint_dir: folder for per-epoch checkpoints; a later `fit` with
            the same folder resumes. `None` keeps nothing.
        verbose: 0 silent, 1 progress bar, 2 one line per epoch.
        steps_per_epoch: optional cap on training batches per epoch.
        history_length: length of `recent_items` fed to a model with that
            input when its shape does not say (a fixed shape wins).
        model_config: passed to a builder as its `config`.
        jit_compile: passed to `model.compile` ("auto" = XLA off on CPU).
    """

    epochs: int = 20
    batch_size: int = 512
    learning_rate: float = 1e-3
    optimizer: str = "adam"
    embedding_optimizer: str | None = None
    embedding_learning_rate: float | None = None
    patience: int = 3
    min_delta: float = 0.0
    seed: int = 0
    deterministic: bool = False
    strategy: str = "default"
    log_dir: str | None = None
    checkpoint_dir: str | None = None
    verbose: int = 1
    steps_per_epoch: int | None = None
    history_length: int = 0
    model_config: dict = dataclasses.field(default_factory=dict)
    jit_compile: bool | str = "auto"

    def __post_init__(self):
        for name in ("epochs", "batch_size"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"TrainConfig.{name} must be >= 1, got {getattr(self, name)!r}")
        if self.patience < 0:
            raise ValueError(f"TrainConfig.patience must be >= 0, got {self.patience!r}")
        if not self.learning_rate > 0:
            raise ValueError(f"TrainConfig.learning_rate must be > 0, got {self.learning_rate!r}")
        if self.embedding_learning_rate is not None and not self.embedding_learning_rate > 0:
            raise ValueError("TrainConfig.embedding_learning_rate must be > 0, "
                             f"got {self.embedding_learning_rate!r}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"TrainConfig.optimizer {self.optimizer!r} not in {OPTIMIZERS}")
        if self.embedding_optimizer is not None and self.embedding_optimizer not in OPTIMIZERS:
            raise ValueError(f"TrainConfig.embedding_optimizer {self.embedding_optimizer!r} "
                             f"not in {OPTIMIZERS}")
        if self.strategy not in STRATEGIES:
            raise ValueError(f"TrainConfig.strategy {self.strategy!r} not in {STRATEGIES}")
        if self.verbose not in (0, 1, 2):
            raise ValueError(f"TrainConfig.verbose must be 0, 1 or 2, got {self.verbose!r}")
        if self.history_length < 0:
            raise ValueError(f"TrainConfig.history_length must be >= 0, got {self.history_length!r}")
        if self.steps_per_epoch is not None and self.steps_per_epoch < 1:
            raise ValueError(f"TrainConfig.steps_per_epoch must be >= 1, got {self.steps_per_epoch!r}")


@dataclasses.dataclass
class TrainResult:
    """What `fit` returns.

    Attributes:
        model: the trained model, holding the best epoch's weights.
        history: `{log name: [value per epoch]}` over every epoch run,
            including epochs run before a resume.
        best_epoch: 0-based index of the epoch whose weights were kept.
        resumed_from: number of epochs restored from a checkpoint (0 if none).
        stopped_early: True when early stopping ended training.
    """

    model: keras.Model
    history: dict[str, list[float]]
    best_epoch: int
    resumed_from: int = 0
    stopped_early: bool = False

    @property
    def epochs_trained(self) -> int:
        """Epochs run in total, counting those before a resume."""
        return len(next(iter(self.history.values()), []))


# --------------------------------------------------------------------------- optimizers


@keras.saving.register_keras_serializable(package="ms_bridge")
class SparseAdagrad(keras.optimizers.Adagrad):
    """Adagrad that touches only the embedding rows present in a batch.

    Keras' Adagrad densifies the `IndexedSlices` gradient of an embedding, so
    every step rewrites whole tables. This one sums duplicate rows, then
    scatters the accumulator and the update into those rows only. Rows with
    no gradient are unchanged by Adagrad anyway, so the result equals dense
    Adagrad; only the cost differs.

    Example:
    >>> opt = SparseAdagrad(learning_rate=0.05)
    >>> round(opt.get_config()["learning_rate"], 6)
    0.05
    """

    def update_step(self, gradient, variable, learning_rate):
        if not isinstance(gradient, tf.IndexedSlices):
            return super().update_step(gradient, variable, learning_rate)
        lr = tf.cast(learning_rate, variable.dtype)
        accumulator = self._accumulators[self._get_variable_index(variable)]
        rows, position = tf.unique(gradient.indices)
        values = tf.math.unsorted_segment_sum(tf.cast(gradient.values, variable.dtype), position,
                                              tf.shape(rows)[0])
        self.assign_add(accumulator, tf.IndexedSlices(tf.square(values), rows, gradient.dense_shape))
        acc_rows = tf.gather(accumulator.value, rows)
        step = lr * values / tf.sqrt(acc_rows + self.epsilon)
        self.assign_sub(variable, tf.IndexedSlices(step, rows, gradient.dense_shape))


@keras.saving.register_keras_serializable(package="ms_bridge")
class PartitionedOptimizer(keras.optimizers.Optimizer):
    """Two optimizers, one for the embedding tables and one for the rest.

    Keras 3 has no multi-optimizer; this wrapper routes each variable by its
    path (`pattern`, a regular expression searched in `variable.path`), so
    the model itself stays a plain functional model. `iterations` and
    `learning_rate` are the default optimizer's.

    Example:
    >>> opt = PartitionedOptimizer(keras.optimizers.Adam(1e-3), SparseAdagrad(0.05))
    >>> type(opt.embedding).__name__
    'SparseAdagrad'
    """

    def __init__(self, default: keras.optimizers.Optimizer, embedding: keras.optimizers.Optimizer,
                 pattern: str = EMBEDDING_PATTERN, name: str | None = None, **kwargs):
        super().__init__(learning_rate=0.0, name=name or "partitioned", **kwargs)
        self.default = default
        self.embedding = embedding
        self.pattern = pattern
        self._regex = re.compile(pattern)

    def _is_embedding(self, variable) -> bool:
        return bool(self._regex.search(variable.path))

    def build(self, var_list):
        self.default.build([v for v in var_list if not self._is_embedding(v)])
        self.embedding.build([v for v in var_list if self._is_embedding(v)])
        super().build(var_list)

    @property
    def variables(self):
        return self._variables + self.default.variables + self.embedding.variables

    def apply(self, grads, trainable_variables=None):
        if not self.built:
            with keras.name_scope(self.name, caller=self):
                self.build(trainable_variables)
            self.built = True
        variables = trainable_variables if trainable_variables is not None else self._trainable_variables
        parts = {False: ([], []), True: ([], [])}
        for g, v in zip(grads, variables):
            part = parts[self._is_embedding(v)]
            part[0].append(g)
            part[1].append(v)
        for is_embedding, (g, v) in parts.items():
            if v:
                (self.embedding if is_embedding else self.default).apply(g, v)

    @property
    def learning_rate(self):
        return self.default.learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        # The base constructor sets a placeholder before `default` exists.
        if "default" in self.__dict__:
            self.default.learning_rate = value

    @property
    def iterations(self):
        return self.default.iterations

    def get_config(self):
        return {"name": self.name, "pattern": self.pattern,
                "default": keras.saving.serialize_keras_object(self.default),
                "embedding": keras.saving.serialize_keras_object(self.embedding)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        default = keras.saving.deserialize_keras_object(config.pop("default"), custom_objects=custom_objects)
        embedding = keras.saving.deserialize_keras_object(config.pop("embedding"),
                                                          custom_objects=custom_objects)
        return cls(default, embedding, **config)


def _one_optimizer(name: str, learning_rate: float) -> keras.optimizers.Optimizer:
    if name == "adam":
        return keras.optimizers.Adam(learning_rate)
    if name == "adagrad":
        return keras.optimizers.Adagrad(learning_rate)
    if name == "sparse_adagrad":
        return SparseAdagrad(learning_rate)
    if name == "sgd":
        return keras.optimizers.SGD(learning_rate)
    if name == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate)
    raise ValueError(f"optimizer {name!r} not in {OPTIMIZERS}")


def make_optimizer(config: TrainConfig) -> keras.optimizers.Optimizer:
    """The optimizer `config` asks for (a `PartitionedOptimizer` when split).

    Example:
    >>> type(make_optimizer(TrainConfig(embedding_optimizer="sparse_adagrad"))).__name__
    'PartitionedOptimizer'
    """
    main = _one_optimizer(config.optimizer, config.learning_rate)
    if config.embedding_optimizer is None:
        return main
    lr = config.embedding_learning_rate or config.learning_rate
    return PartitionedOptimizer(main, _one_optimizer(config.embedding_optimizer, lr))


# --------------------------------------------------------------------------- strategies


def get_strategy(name: str | tf.distribute.Strategy = "default") -> tf.distribute.Strategy:
    """`default` (one device), `mirrored` (all local GPUs, else CPU) or
    `multi_worker` (`MultiWorkerMirroredStrategy`, cluster from `TF_CONFIG`).

    Example:
    >>> get_strategy("default").num_replicas_in_sync
    1
    """
    if isinstance(name, tf.distribute.Strategy):
        return name
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multi_worker":
        if "TF_CONFIG" not in os.environ:
            raise ValueError("strategy 'multi_worker' needs the TF_CONFIG environment variable")
        options = tf.distribute.experimental.CommunicationOptions(
            implementation=tf.distribute.experimental.CommunicationImplementation.RING)
        return tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)
    raise ValueError(f"strategy {name!r} not in {STRATEGIES}")


def _is_chief(strategy: tf.distribute.Strategy) -> bool:
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return True
    if resolver.task_type == "chief":
        return True
    has_chief = "chief" in resolver.cluster_spec().as_dict()
    return resolver.task_type == "worker" and resolver.task_id == 0 and not has_chief


# --------------------------------------------------------------------------- callbacks


class BridgeHistograms(keras.callbacks.Callback):
    """Writes histograms of the weights of every layer named `*_bridge`.

    Example:
    >>> BridgeHistograms("/tmp/logs").log_dir
    '/tmp/logs/bridge'
    """

    def __init__(self, log_dir: str):
        super().__init__()
        self.log_dir = os.path.join(log_dir, "bridge")
        self._writer = None

    def on_epoch_end(self, epoch, logs=None):
        layers = [layer for layer in self.model.layers if layer.name.endswith("_bridge")]
        if not layers:
            return
        if self._writer is None:
            self._writer = tf.summary.create_file_writer(self.log_dir)
        with self._writer.as_default():
            for layer in layers:
                for weight in layer.weights:
                    tf.summary.histogram(weight.path, weight.value, step=epoch)
        self._writer.flush()


# --------------------------------------------------------------------------- checkpoints


def _save_arrays(path: pathlib.Path, arrays: Sequence[np.ndarray]) -> None:
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(tmp, *arrays)
    os.replace(tmp, path)


def _load_arrays(path: pathlib.Path) -> list[np.ndarray]:
    with np.load(path) as data:
        return [data[f"arr_{i}"] for i in range(len(data.files))]


def _assign(variables, values: Sequence[np.ndarray], what: str) -> None:
    if len(variables) != len(values):
        raise ValueError(f"checkpoint has {len(values)} {what} arrays, the model has {len(variables)}; "
                         "was it written by another architecture or optimizer?")
    for variable, value in zip(variables, values):
        if tuple(variable.shape) != value.shape:
            raise ValueError(f"checkpoint {what} {variable.path!r}: shape {value.shape} "
                             f"!= {tuple(variable.shape)}")
        variable.assign(value)


class _Checkpointer:
    """Per-epoch state in one folder; `state.json` is written last and names
    the array files, so a kill mid-write leaves the previous epoch usable."""

    def __init__(self, folder: str, enabled: bool):
        self.folder = pathlib.Path(folder)
        self.enabled = enabled
        if enabled:
            self.folder.mkdir(parents=True, exist_ok=True)

    def load(self) -> dict | None:
        path = self.folder / _STATE_FILE
        if not path.exists():
            return None
        return json.loads(path.read_text())

    def save(self, epoch: int, model: keras.Model, best: list[np.ndarray] | None, state: dict) -> None:
        if not self.enabled:
            return
        old = self.load()
        variables = f"epoch_{epoch:04d}.npz"
        _save_arrays(self.folder / variables, [np.asarray(v.numpy()) for v in model.variables])
        optimizer = f"epoch_{epoch:04d}.optimizer.npz"
        _save_arrays(self.folder / optimizer, [np.asarray(v.numpy()) for v in model.optimizer.variables])
        best_file = old["best_file"] if old else None
        if best is not None:
            best_file = f"best_{epoch:04d}.npz"
            _save_arrays(self.folder / best_file, best)
        state = dict(state, variables=variables, optimizer=optimizer, best_file=best_file)
        tmp = self.folder / (_STATE_FILE + ".tmp")
        tmp.write_text(json.dumps(state, indent=1))
        os.replace(tmp, self.folder / _STATE_FILE)
        if old:
            for key in ("variables", "optimizer", "best_file"):
                if old.get(key) and old[key] != state.get(key):
                    (self.folder / old[key]).unlink(missing_ok=True)


# --------------------------------------------------------------------------- fit


def _default_make_dataset():
    from ms_bridge.datasets.pipeline import make_dataset
    return make_dataset


def _input_layout(model: keras.Model, spec, history_length: int = 0) -> dict:
    """Side features and history length the model's inputs ask the pipeline for."""
    inputs = model.input if isinstance(model.input, dict) else {t.name: t for t in model.inputs}
    layout: dict[str, Any] = {"side_features": (), "history_length": 0}
    if "side" in inputs:
        layout["side_features"] = tuple(spec.side_features)
    if "recent_items" in inputs:
        length = inputs["recent_items"].shape[-1]
        layout["history_length"] = int(length) if length is not None else history_length
        if layout["history_length"] < 1:
            raise ValueError(f"model {model.name!r} reads recent_items of unknown length: "
                             "set TrainConfig.history_length")
    return layout


def _build(model_or_builder, prepared, config: TrainConfig) -> keras.Model:
    if isinstance(model_or_builder, keras.Model):
        return model_or_builder
    if isinstance(model_or_builder, str):
        from ms_bridge.registry import get_model
        model_or_builder = get_model(model_or_builder)
    if not callable(model_or_builder):
        raise ValueError(f"model_or_builder must be a keras.Model, a registry name or a builder, "
                         f"got {type(model_or_builder).__name__}")
    if _takes_no_arguments(model_or_builder):
        return model_or_builder()
    return model_or_builder(prepared.spec, prepared.vocab, dict(config.model_config))


def _takes_no_arguments(fn: Callable) -> bool:
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    return not any(p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
                   for p in parameters)


def _detach_multi_worker(model: keras.Model, strategy: tf.distribute.Strategy, dataset: tf.data.Dataset) -> None:
    """Works around two Keras 3 bugs that break `fit` under MultiWorkerMirroredStrategy.

    1. keras-team/keras#20329: `fit` first all-reduces a whole input batch to build
       the model symbolically, which fails on dict inputs. We build the compiled
       state from a local batch ourselves and clear the model's own strategy, so
       Keras takes it from the enclosing `strategy.scope()` (`distribute_strategy`
       falls back to `tf.distribute.get_strategy()`) and skips that reduce; `fit`
       restores the attribute when training ends.
    2. tensorflow/tensorflow#72388: the per-step logs (scalars) are reduced across
       workers with `axis=0`, which fails on scalars; `_patch_multi_worker_reduce`
       reduces them with `axis=None` instead.
    """
    _patch_multi_worker_reduce()
    with strategy.scope():
        model._symbolic_build(data_batch=next(iter(dataset)))
    model._distribute_strategy = None


def _patch_multi_worker_reduce() -> None:
    from keras.src.backend.tensorflow import trainer as tf_trainer

    original = tf_trainer.reduce_per_replica
    if getattr(original, "_ms_bridge_patch", False):
        return

    def reduce_per_replica(values, strategy, reduction="auto"):
        if reduction in ("auto", "mean") and tf_trainer._collective_all_reduce_multi_worker(strategy):
            return tf.nest.map_structure(lambda v: strategy.reduce("MEAN", v, axis=None), values)
        return original(values, strategy, reduction=reduction)

    reduce_per_replica._ms_bridge_patch = True
    tf_trainer.reduce_per_replica = reduce_per_replica


def _with_shard_policy(dataset: tf.data.Dataset) -> tf.data.Dataset:
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)


def fit(model_or_builder: keras.Model | str | Callable[..., keras.Model], prepared: Any,
        task: MultiObjectiveTask, config: TrainConfig | None = None, *,
        callbacks: Sequence[keras.callbacks.Callback] = (),
        make_dataset: Callable[..., tf.data.Dataset] | None = None) -> TrainResult:
    """Trains a model on `prepared.train`, early-stopping on `prepared.val`.

    Args:
        model_or_builder: a built `keras.Model` (only with the default
            strategy), a registry name, `builder(spec, vocab, config)` (given
            `config.model_config`) or a zero-argument callable; builders are
            called inside the strategy's scope.
        prepared: a `PreparedData` (fields `train`, `val`, `spec`, `vocab`);
            `val` may be None or empty.
        task: the losses and metrics; its spec must be `prepared.spec`'s.
        config: a `TrainConfig` (defaults if None).
        callbacks: extra Keras callbacks run in every epoch's `model.fit`.
        make_dataset: `make_dataset(frame, spec, batch_size, shuffle=, seed=,
            side_features=, history_length=)`; defaults to
            `ms_bridge.datasets.pipeline.make_dataset`.

    Returns:
        A `TrainResult` whose model holds the best epoch's weights.
    """
    config = config or TrainConfig()
    spec = prepared.spec
    if tuple(task.objectives) != tuple(spec.objective_names):
        raise ValueError(f"task objectives {task.objectives} differ from the data's "
                         f"{spec.objective_names}")
    keras.utils.set_random_seed(config.seed)
    if config.deterministic:
        tf.config.experimental.enable_op_determinism()
    strategy = get_strategy(config.strategy)
    if isinstance(model_or_builder, keras.Model) and config.strategy != "default":
        raise ValueError(f"strategy {config.strategy!r} needs a builder (the model must be created "
                         "inside the strategy's scope), got a built keras.Model")
    with strategy.scope():
        model = _build(model_or_builder, prepared, config)
        task.compile(model, make_optimizer(config), jit_compile=config.jit_compile)
        model.optimizer.build(model.trainable_variables)

    make_dataset = make_dataset or _default_make_dataset()
    layout = _input_layout(model, spec, config.history_length)
    val_frame = getattr(prepared, "val", None)
    has_val = val_frame is not None and len(val_frame) > 0
    val_ds = None
    if has_val:
        val_ds = _with_shard_policy(make_dataset(val_frame, spec, config.batch_size, shuffle=False,
                                                 seed=config.seed, **layout))
    monitor = "val_loss" if has_val else "loss"

    chief = _is_chief(strategy)
    checkpointer = _Checkpointer(config.checkpoint_dir, chief) if config.checkpoint_dir else None
    history: dict[str, list[float]] = {}
    best_value, best_epoch, wait, start = float("inf"), -1, 0, 0
    best_weights: list[np.ndarray] | None = None
    state = checkpointer.load() if checkpointer else None
    if state is not None:
        folder = checkpointer.folder
        _assign(model.variables, _load_arrays(folder / state["variables"]), "model")
        _assign(model.optimizer.variables, _load_arrays(folder / state["optimizer"]), "optimizer")
        if state.get("best_file"):
            best_weights = _load_arrays(folder / state["best_file"])
        history = {k: list(v) for k, v in state["history"].items()}
        best_value, best_epoch, wait = state["best_value"], state["best_epoch"], state["wait"]
        start = state["epoch"] + 1
    resumed_from = start

    all_callbacks = list(callbacks)
    if config.log_dir and chief:
        all_callbacks += [keras.callbacks.TensorBoard(config.log_dir, histogram_freq=0, write_graph=False),
                          BridgeHistograms(config.log_dir)]

    stopped = bool(state and state.get("stopped"))
    detached = False
    for epoch in range(start, config.epochs):
        if stopped:
            break
        train_ds = make_dataset(prepared.train, spec, config.batch_size, shuffle=True,
                                seed=config.seed + epoch, **layout)
        if config.steps_per_epoch:
            train_ds = train_ds.take(config.steps_per_epoch)
        if not detached and isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
            _detach_multi_worker(model, strategy, train_ds)
            detached = True
        with strategy.scope():
            logs = model.fit(_with_shard_policy(train_ds), validation_data=val_ds, epochs=epoch + 1,
                             initial_epoch=epoch, shuffle=False, verbose=config.verbose,
                             callbacks=all_callbacks).history
        for key, values in logs.items():
            history.setdefault(key, []).extend(float(v) for v in values)
        value = float(logs[monitor][-1])
        improved = value < best_value - config.min_delta
        if improved:
            best_value, best_epoch, wait = value, epoch, 0
            best_weights = [np.array(v.numpy()) for v in model.variables]
        else:
            wait += 1
        stopped = config.patience > 0 and wait >= config.patience
        if checkpointer:
            checkpointer.save(epoch, model, best_weights if improved else None,
                              {"epoch": epoch, "history": history, "best_value": best_value,
                               "best_epoch": best_epoch, "wait": wait, "stopped": stopped,
                               "config": _jsonable(dataclasses.asdict(config))})
    if detached:
        model._distribute_strategy = strategy
    if best_weights is not None:
        _assign(model.variables, best_weights, "model")
    return TrainResult(model=model, history=history, best_epoch=best_epoch, resumed_from=resumed_from,
                       stopped_early=stopped)


def _jsonable(value):
    return json.loads(json.dumps(value, default=str))


# --------------------------------------------------------------------------- predict


def frame_features(model: keras.Model, frame: pd.DataFrame, spec=None) -> dict[str, np.ndarray]:
    """The model's input arrays from a prepared frame (`user_idx`, ...).

    Example:
    >>> # frame_features(model, prepared.test)["user_id"].dtype -> int32
    """
    names = [t.name for t in model.inputs] if not isinstance(model.input, dict) else list(model.input)
    features: dict[str, np.ndarray] = {}
    for name in names:
        if name in _ID_COLUMNS:
            column = _ID_COLUMNS[name] if _ID_COLUMNS[name] in frame.columns else name
            if column not in frame.columns:
                raise ValueError(f"frame lacks {_ID_COLUMNS[name]!r} (or {name!r}) for input {name!r}")
            features[name] = frame[column].to_numpy(dtype=np.int32)
        elif name == "side":
            if spec is None:
                raise ValueError("model has a 'side' input: pass spec to know its columns")
            features[name] = frame[list(spec.side_features)].to_numpy(dtype=np.float32)
        elif name == "recent_items":
            features[name] = np.stack(frame["recent_items"].to_numpy()).astype(np.int32)
        else:
            raise ValueError(f"model input {name!r} is not in the model contract")
    return features


def predict(model: keras.Model, frame_or_dataset: pd.DataFrame | tf.data.Dataset | Mapping,
            spec=None, *, batch_size: int = 4096) -> dict[str, np.ndarray]:
    """Predictions `{objective: float array (n,)}` for a frame, dataset or dict.

    A frame is a prepared split (`user_idx`, `item_idx`, `artist_idx`, side
    columns, `recent_items`); a dataset may yield features alone or
    `(features, targets, weights)`; a dict maps input names to arrays.
    """
    if isinstance(frame_or_dataset, pd.DataFrame):
        x = frame_features(model, frame_or_dataset, spec)
    else:
        x = frame_or_dataset
    if isinstance(x, Mapping):
        out = model.predict(dict(x), batch_size=batch_size, verbose=0)
    else:
        out = model.predict(x, verbose=0)
    return {name: np.asarray(value).reshape(-1) for name, value in out.items()}
