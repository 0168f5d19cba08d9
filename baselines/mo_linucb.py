"""MO-LinUCB: a linear upper-confidence-bound bandit per objective (Mehrotra et al. 2020).

Mehrotra et al. score an arm (item) in a user context by a linear estimate per objective plus an
exploration bonus, `theta_k . x + alpha * sqrt(x^T A_k^-1 x)` with `A_k = lambda I + sum x x^T` over
the logged contexts. Here the context of a (user, item, artist) triple is
`x = [u, i, a, u*i, u*a]`, the id embeddings and their element-wise products (so a linear
function of x covers the user-item and user-artist affinities, like LinUCB's user x arm feature
crosses), and each objective's estimate is a `LinearUCB` layer followed by a sigmoid (a GLM link,
so outputs are in [0, 1]). Training is offline on the logged data with the shared MSE loss, which
fits the ridge-style mean `theta_k` and the embeddings together.

The exploration bonus needs the design matrices, which `fit_design_matrices(model, features,
weights)` computes exactly from the trained contexts (per objective, only over examples where
that objective is known) and stores in the layers as non-trainable weights (they are saved with the
model). The bonus is added only at inference and only when `alpha > 0`; the default `alpha = 0`
makes the outputs the mean estimates, which is what Task 1 evaluates. `ucb_scores` gives
`sigmoid(mean + alpha * bonus)` for any `alpha` without rebuilding.

Config keys: `embedding_dim` (40), `alpha` (0.0), `ridge` (lambda, 1.0), `l2` (0.0).

Example:
>>> import numpy as np
>>> layer = LinearUCB(ridge=1.0)
>>> _ = layer(np.zeros((1, 2), "float32"))
>>> layer.set_design(np.array([[1.0, 0.0], [1.0, 0.0]]))
>>> [round(float(v), 4) for v in np.asarray(layer.bonus(np.array([[1.0, 0.0], [0.0, 1.0]], "float32"))).ravel()]
[0.5774, 1.0]
"""

from __future__ import annotations

from typing import Any, Mapping

import keras
import numpy as np

from baselines import _common as C
from ms_bridge.datasets.spec import DatasetSpec
from ms_bridge.registry import register_model

CONTEXT_LAYER = "linucb_context"


@keras.saving.register_keras_serializable(package=C.PACKAGE)
class LinearUCB(keras.layers.Layer):
    """Linear estimate `x . theta + b` with a LinUCB bonus `alpha * sqrt(x^T A^-1 x)` at inference.

    `A^-1` is a non-trainable weight, `I / ridge` until `set_design` gives it the logged contexts.
    Output shape (batch, 1), on the logit scale.
    """

    def __init__(self, alpha: float = 0.0, ridge: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        if not np.isfinite(alpha) or alpha < 0:
            raise ValueError(f"alpha must be a finite number >= 0, got {alpha!r}")
        if not np.isfinite(ridge) or ridge <= 0:
            raise ValueError(f"ridge must be a finite number > 0, got {ridge!r}")
        self.alpha, self.ridge = float(alpha), float(ridge)

    def build(self, input_shape):
        d = int(input_shape[-1])
        self.theta = self.add_weight(name="theta", shape=(d, 1), initializer="glorot_uniform")
        self.bias = self.add_weight(name="bias", shape=(1,), initializer="zeros")
        self.a_inv = self.add_weight(name="a_inv", shape=(d, d), trainable=False,
                                     initializer=keras.initializers.Identity(gain=1.0 / self.ridge))

    def mean(self, x):
        return keras.ops.matmul(x, self.theta) + self.bias

    def bonus(self, x):
        """`sqrt(x^T A^-1 x)` per row, shape (batch, 1)."""
        quad = keras.ops.sum(keras.ops.matmul(x, self.a_inv) * x, axis=-1, keepdims=True)
        return keras.ops.sqrt(keras.ops.maximum(quad, 0.0))

    def call(self, x, training=None):
        if training or self.alpha == 0.0:
            return self.mean(x)
        return self.mean(x) + self.alpha * self.bonus(x)

    def set_design(self, contexts: np.ndarray, weights: np.ndarray | None = None) -> None:
        """Sets `A^-1` from the logged contexts: `A = ridge I + sum_n w_n x_n x_n^T`."""
        x = np.asarray(contexts, dtype="float64")
        if x.ndim != 2 or x.shape[1] != self.a_inv.shape[0]:
            raise ValueError(f"contexts must have shape (n, {self.a_inv.shape[0]}), got {x.shape}")
        w = np.ones(len(x)) if weights is None else np.asarray(weights, dtype="float64").reshape(-1)
        if w.shape != (len(x),) or (w < 0).any():
            raise ValueError(f"weights must be {len(x)} non-negative numbers, got shape {w.shape}")
        design = self.ridge * np.eye(x.shape[1]) + (x * w[:, None]).T @ x
        self.a_inv.assign(np.linalg.inv(design).astype(self.a_inv.dtype))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 1)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha, "ridge": self.ridge}


def build_mo_linucb(spec: DatasetSpec, vocab: Mapping[str, int],
                    config: Mapping[str, Any] | None = None) -> keras.Model:
    """Builds one linear UCB estimator per objective over shared context features."""
    config = C.check_config(config)
    vocab = C.check_vocab(vocab)
    dim = C.config_int(config, "embedding_dim", C.DEFAULT_EMBEDDING_DIM)
    alpha = C.config_float(config, "alpha", 0.0)
    ridge = C.config_float(config, "ridge", 1.0)
    if ridge <= 0:
        raise ValueError(f"config['ridge'] must be > 0, got {ridge!r}")
    l2 = C.config_float(config, "l2", 0.0)
    inputs = C.model_inputs(spec)
    emb = C.embed_ids(inputs, vocab, dim, prefix="linucb", l2=l2)
    crosses = [keras.layers.Multiply(name="linucb_user_item")([emb["user_id"], emb["item_id"]]),
               keras.layers.Multiply(name="linucb_user_artist")([emb["user_id"], emb["artist_id"]])]
    context = C.concat([emb[n] for n in C.ID_FEATURES] + crosses + C.side_or_none(inputs), name=CONTEXT_LAYER)
    outputs = {}
    for objective in spec.objective_names:
        logit = LinearUCB(alpha, ridge, name=f"{objective}_linucb")(context)
        outputs[objective] = keras.layers.Activation("sigmoid", name=objective)(logit)
    return keras.Model(inputs, C.ordered_outputs(spec, outputs), name="mo_linucb")


def _contexts(model: keras.Model, features: Mapping[str, np.ndarray], batch_size: int) -> np.ndarray:
    encoder = keras.Model(model.inputs, model.get_layer(CONTEXT_LAYER).output)
    names = [t.name for t in model.inputs]
    return np.asarray(encoder.predict({n: features[n] for n in names}, batch_size=batch_size, verbose=0))


def _ucb_layers(model: keras.Model) -> dict[str, LinearUCB]:
    layers = {l.name.removesuffix("_linucb"): l for l in model.layers if isinstance(l, LinearUCB)}
    if not layers:
        raise ValueError(f"model {model.name!r} has no LinearUCB layer; build it with build_mo_linucb")
    return layers


def fit_design_matrices(model: keras.Model, features: Mapping[str, np.ndarray],
                        weights: Mapping[str, np.ndarray] | None = None, batch_size: int = 4096) -> None:
    """Computes each objective's `A_k^-1` from the logged (training) contexts of a trained model.

    Args:
        model: built by `build_mo_linucb`.
        features: the model's inputs over the logged data (numpy arrays).
        weights: per-objective 0/1 masks (1 = objective known); `None` counts every example.
    """
    contexts = _contexts(model, features, batch_size)
    for objective, layer in _ucb_layers(model).items():
        layer.set_design(contexts, None if weights is None else weights[objective])


def ucb_scores(model: keras.Model, features: Mapping[str, np.ndarray], alpha: float,
               batch_size: int = 4096) -> dict[str, np.ndarray]:
    """`sigmoid(mean + alpha * bonus)` per objective, shape (n, 1), for any `alpha >= 0`."""
    if not np.isfinite(alpha) or alpha < 0:
        raise ValueError(f"alpha must be a finite number >= 0, got {alpha!r}")
    contexts = keras.ops.convert_to_tensor(_contexts(model, features, batch_size))
    scores = {}
    for objective, layer in _ucb_layers(model).items():
        logit = layer.mean(contexts) + alpha * layer.bonus(contexts)
        scores[objective] = np.asarray(keras.ops.sigmoid(logit))
    return scores


register_model("mo_linucb", build_mo_linucb, label="MO-LinUCB", family="multi-objective")
