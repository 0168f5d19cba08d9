"""MORL: a conditioned multi-objective Q-network with dynamic weights (Abels et al. 2019).

Abels et al. learn one network `Q(s, a, w)` that takes the preference (objective weight) vector
`w` as an input next to the state, outputs one value per objective, and is trained over many
sampled weight vectors so that it serves any preference at run time. Offline, recommendation is a
contextual bandit (discount 0): the state is the user, the action the (item, artist) pair and the
vector reward the observed objectives, so the regression target of each objective's Q-value is
that objective's scaled value. The network is an MLP over `[user, item, artist embeddings, w]` with
Appendix B's [16, 8, 6] layers and one sigmoid head per objective.

`PreferenceWeights` makes `w` part of the graph without a new model input: in training it draws a
fresh weight vector per example from the flat Dirichlet (uniform on the simplex: normalised
exponentials), at inference it returns the fixed `inference_weights` (default: equal weights).
Everything stays a plain serialisable functional model.

Config keys: `embedding_dim` (40), `hidden_units` ([16, 8, 6]), `inference_weights` (one
non-negative weight per objective, normalised; default equal), `seed` (weight sampling, 0),
`l2` (0.0).

Example:
>>> import numpy as np
>>> layer = PreferenceWeights(3, seed=1)
>>> reference = np.zeros((4, 2), "float32")
>>> [round(float(v), 3) for v in np.asarray(layer(reference, training=False))[0]]
[0.333, 0.333, 0.333]
>>> sampled = np.asarray(layer(reference, training=True))
>>> bool(np.allclose(sampled.sum(1), 1.0)) and sampled.shape == (4, 3)
True
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import keras
import numpy as np

from baselines import _common as C
from ms_bridge.datasets.spec import DatasetSpec
from ms_bridge.registry import register_model


@keras.saving.register_keras_serializable(package=C.PACKAGE)
class PreferenceWeights(keras.layers.Layer):
    """Objective weights as a tensor of shape (batch, num_objectives), batch taken from the input.

    Training: one flat-Dirichlet sample per example (dynamic weights). Inference: `inference_weights`.
    """

    def __init__(self, num_objectives: int, inference_weights: Sequence[float] | None = None,
                 seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(num_objectives, bool) or not isinstance(num_objectives, (int, np.integer)) or num_objectives < 1:
            raise ValueError(f"num_objectives must be an int >= 1, got {num_objectives!r}")
        self.num_objectives = int(num_objectives)
        if inference_weights is None:
            inference_weights = [1.0] * self.num_objectives
        weights = np.asarray(inference_weights, dtype="float64")
        if weights.shape != (self.num_objectives,) or not np.all(np.isfinite(weights)) \
                or (weights < 0).any() or weights.sum() <= 0:
            raise ValueError(f"inference_weights must be {self.num_objectives} non-negative numbers "
                             f"with a positive sum, got {inference_weights!r}")
        self.inference_weights = [float(v) for v in weights / weights.sum()]
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed, name="preference_seed")

    def call(self, reference, training=None):
        batch = keras.ops.shape(reference)[0]
        if training:
            # Normalised i.i.d. Exponential(1) draws are uniform on the simplex (Dirichlet(1,...,1)).
            uniform = keras.random.uniform((batch, self.num_objectives), minval=1e-7, maxval=1.0,
                                           seed=self.seed_generator)
            exponential = -keras.ops.log(uniform)
            return exponential / keras.ops.sum(exponential, axis=1, keepdims=True)
        fixed = keras.ops.convert_to_tensor(self.inference_weights, dtype=self.compute_dtype)
        return keras.ops.broadcast_to(keras.ops.expand_dims(fixed, 0), (batch, self.num_objectives))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.num_objectives)

    def get_config(self):
        return {**super().get_config(), "num_objectives": self.num_objectives,
                "inference_weights": self.inference_weights, "seed": self.seed}


def build_morl(spec: DatasetSpec, vocab: Mapping[str, int], config: Mapping[str, Any] | None = None) -> keras.Model:
    """Builds the weight-conditioned Q-network with one output per objective."""
    config = C.check_config(config)
    vocab = C.check_vocab(vocab)
    dim = C.config_int(config, "embedding_dim", C.DEFAULT_EMBEDDING_DIM)
    units = C.config_units(config, "hidden_units", C.MULTI_OBJECTIVE_UNITS)
    seed = C.config_int(config, "seed", 0, minimum=0)
    l2 = C.config_float(config, "l2", 0.0)
    inputs = C.model_inputs(spec)
    emb = C.embed_ids(inputs, vocab, dim, prefix="morl", l2=l2)
    weights = PreferenceWeights(len(spec.objectives), config.get("inference_weights"), seed=seed,
                                name="preference_weights")(emb["user_id"])
    state_action = C.concat([emb[n] for n in C.ID_FEATURES] + C.side_or_none(inputs) + [weights], name="morl_input")
    hidden = C.mlp(state_action, units, prefix="q_network")
    outputs = {o: C.sigmoid_head(hidden, o) for o in spec.objective_names}
    return keras.Model(inputs, C.ordered_outputs(spec, outputs), name="morl")


register_model("morl", build_morl, label="MORL", family="multi-objective")
