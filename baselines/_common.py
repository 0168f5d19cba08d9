"""Pieces shared by the baseline models: inputs, embeddings, MLPs, heads, small layers.

Every baseline is a Keras 3 functional model with the inputs of docs/architecture.md §3
(`user_id`, `item_id`, `artist_id` int32 scalars, optional `side` float32 [n_side] and
`recent_items` int32 [L]) and a dict of (batch, 1) sigmoid outputs keyed by objective name.
The builders here keep those names and checks in one place.

Example:
>>> from ms_bridge.datasets.spec import get_spec
>>> spec = get_spec("mlhd")
>>> inputs = model_inputs(spec)
>>> sorted(inputs)
['artist_id', 'item_id', 'user_id']
>>> vectors = embed_ids(inputs, {"user_id": 5, "item_id": 7, "artist_id": 3}, dim=4, prefix="demo")
>>> tuple(vectors["user_id"].shape)
(None, 4)
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import keras
import numpy as np

from ms_bridge.datasets.spec import DatasetSpec

ID_FEATURES = ("user_id", "item_id", "artist_id")
PACKAGE = "baselines"

#: Embedding size used by every baseline unless the config says otherwise (SPEC §7).
DEFAULT_EMBEDDING_DIM = 40
#: Appendix B: hidden layers of the deep single-objective models (the final 1 is the output head).
SINGLE_OBJECTIVE_UNITS = (128, 80, 40)
#: Appendix B: hidden layers of the multi-objective models.
MULTI_OBJECTIVE_UNITS = (16, 8, 6)


# --------------------------------------------------------------------------- config checks

def check_vocab(vocab: Mapping[str, int]) -> dict[str, int]:
    """Returns the three id table sizes; raises ValueError when one is missing or < 2.

    Index 0 is the out-of-vocabulary row, so a table needs at least one known id besides it.
    """
    if not isinstance(vocab, Mapping):
        raise ValueError(f"vocab must be a mapping of table sizes, got {type(vocab).__name__}")
    sizes = {}
    for name in ID_FEATURES:
        if name not in vocab:
            raise ValueError(f"vocab lacks {name!r}; it has {sorted(vocab)}")
        size = vocab[name]
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 2:
            raise ValueError(f"vocab[{name!r}] must be an int >= 2 (OOV row + ids), got {size!r}")
        sizes[name] = int(size)
    return sizes


def config_int(config: Mapping[str, Any], key: str, default: int, minimum: int = 1) -> int:
    """`config[key]` (or `default`) as an int >= `minimum`; ValueError names the bad value."""
    value = config.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"config[{key!r}] must be an int >= {minimum}, got {value!r}")
    return int(value)


def config_float(config: Mapping[str, Any], key: str, default: float, minimum: float = 0.0) -> float:
    """`config[key]` (or `default`) as a finite float >= `minimum`."""
    value = config.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not np.isfinite(value) or value < minimum:
        raise ValueError(f"config[{key!r}] must be a finite number >= {minimum}, got {value!r}")
    return float(value)


def config_units(config: Mapping[str, Any], key: str, default: Sequence[int],
                 allow_empty: bool = False) -> tuple[int, ...]:
    """`config[key]` (or `default`) as a tuple of positive layer widths."""
    value = config.get(key, default)
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise ValueError(f"config[{key!r}] must be a list of positive ints, got {value!r}")
    units = tuple(value)
    if (not units and not allow_empty) or any(
            isinstance(u, bool) or not isinstance(u, (int, np.integer)) or u < 1 for u in units):
        raise ValueError(f"config[{key!r}] must be a {'' if allow_empty else 'non-empty '}"
                         f"list of positive ints, got {value!r}")
    return tuple(int(u) for u in units)


def check_config(config: Mapping[str, Any] | None) -> dict[str, Any]:
    """A plain dict copy of `config` (None means {}); keys a builder does not read are ignored,
    so the harness can hand every model the same run configuration."""
    if config is None:
        return {}
    if not isinstance(config, Mapping):
        raise ValueError(f"config must be a dict, got {type(config).__name__}")
    return dict(config)


# --------------------------------------------------------------------------- graph pieces

def model_inputs(spec: DatasetSpec, history_length: int = 0) -> dict[str, keras.KerasTensor]:
    """The named inputs of docs/architecture.md §3.

    `side` is added when the spec declares side features; `recent_items` when
    `history_length > 0`.
    """
    inputs = {name: keras.Input(shape=(), dtype="int32", name=name) for name in ID_FEATURES}
    if spec.side_features:
        inputs["side"] = keras.Input(shape=(len(spec.side_features),), dtype="float32", name="side")
    if history_length > 0:
        inputs["recent_items"] = keras.Input(shape=(history_length,), dtype="int32", name="recent_items")
    return inputs


def embedding_tables(vocab: Mapping[str, int], dim: int, prefix: str,
                     l2: float = 0.0) -> dict[str, keras.layers.Embedding]:
    """One embedding table per id input, named `<prefix>_<user|item|artist>_embedding`, so
    independent sub-networks (different prefixes) never share a table."""
    regularizer = keras.regularizers.L2(l2) if l2 > 0 else None
    return {name: keras.layers.Embedding(vocab[name], dim, embeddings_regularizer=regularizer,
                                         name=f"{prefix}_{name.removesuffix('_id')}_embedding")
            for name in ID_FEATURES}


def embed_ids(inputs: Mapping[str, keras.KerasTensor], vocab: Mapping[str, int], dim: int, prefix: str,
              l2: float = 0.0) -> dict[str, keras.KerasTensor]:
    """Looks each id input up in its own new table; returns {input name: (batch, dim)}."""
    tables = embedding_tables(vocab, dim, prefix, l2)
    return {name: tables[name](inputs[name]) for name in ID_FEATURES}


def concat(tensors: Sequence[keras.KerasTensor], name: str) -> keras.KerasTensor:
    """Concatenates on the last axis; a single tensor passes through unchanged."""
    tensors = list(tensors)
    return tensors[0] if len(tensors) == 1 else keras.layers.Concatenate(name=name)(tensors)


def mlp(x: keras.KerasTensor, units: Sequence[int], prefix: str, activation: str = "relu",
        dropout: float = 0.0) -> keras.KerasTensor:
    """Stack of Dense layers named `<prefix>_dense_<k>` (optionally with dropout between)."""
    for k, width in enumerate(units):
        x = keras.layers.Dense(width, activation=activation, name=f"{prefix}_dense_{k}")(x)
        if dropout > 0:
            x = keras.layers.Dropout(dropout, name=f"{prefix}_dropout_{k}")(x)
    return x


def sigmoid_head(x: keras.KerasTensor, name: str) -> keras.KerasTensor:
    """Dense(1, sigmoid) head named after its objective."""
    return keras.layers.Dense(1, activation="sigmoid", name=name)(x)


def side_or_none(inputs: Mapping[str, keras.KerasTensor]) -> list[keras.KerasTensor]:
    """[side] when the model has a side-feature input, else []."""
    return [inputs["side"]] if "side" in inputs else []


def ordered_outputs(spec: DatasetSpec, outputs: Mapping[str, keras.KerasTensor]) -> dict[str, keras.KerasTensor]:
    """The outputs dict in `spec.objective_names` order (checked complete)."""
    missing = [o for o in spec.objective_names if o not in outputs]
    if missing:
        raise ValueError(f"outputs lack objectives {missing}")
    return {o: outputs[o] for o in spec.objective_names}


# --------------------------------------------------------------------------- layers

@keras.saving.register_keras_serializable(package=PACKAGE)
class ScalarBias(keras.layers.Layer):
    """Adds one trainable scalar (a global intercept) to its input.

    >>> tuple(ScalarBias()(np.zeros((2, 1), "float32")).shape)
    (2, 1)
    """

    def build(self, input_shape):
        self.bias = self.add_weight(name="bias", shape=(), initializer="zeros")

    def call(self, x):
        return x + self.bias

    def compute_output_shape(self, input_shape):
        return input_shape


@keras.saving.register_keras_serializable(package=PACKAGE)
class ExpertMixture(keras.layers.Layer):
    """Gate-weighted sum of expert outputs: inputs `[gate, expert_1, ..., expert_E]`.

    `gate` is (batch, E), typically softmax; each expert is (batch, d). Returns (batch, d).

    >>> gate = np.array([[0.25, 0.75]], "float32")
    >>> e1 = np.array([[4.0, 0.0]], "float32"); e2 = np.array([[0.0, 4.0]], "float32")
    >>> np.asarray(ExpertMixture()([gate, e1, e2])).tolist()
    [[1.0, 3.0]]
    """

    def call(self, inputs):
        gate, experts = inputs[0], inputs[1:]
        stacked = keras.ops.stack(experts, axis=1)  # (batch, E, d)
        return keras.ops.sum(stacked * keras.ops.expand_dims(gate, -1), axis=1)

    def compute_output_shape(self, input_shape):
        return input_shape[1]


@keras.saving.register_keras_serializable(package=PACKAGE)
class ColumnSlice(keras.layers.Layer):
    """Column `index` of a (batch, k) tensor, kept as (batch, 1).

    >>> np.asarray(ColumnSlice(1)(np.array([[1.0, 2.0, 3.0]], "float32"))).tolist()
    [[2.0]]
    """

    def __init__(self, index: int, **kwargs):
        super().__init__(**kwargs)
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or index < 0:
            raise ValueError(f"index must be an int >= 0, got {index!r}")
        self.index = int(index)

    def call(self, x):
        return x[:, self.index:self.index + 1]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 1)

    def get_config(self):
        return {**super().get_config(), "index": self.index}
