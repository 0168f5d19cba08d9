"""LR: a linear model on one-hot ids and side features, one independent model per objective.

Koren (2010)'s baseline predictor `mu + b_u + b_i` extended with an artist bias and a linear term on
the declared side features. A one-hot id times a weight vector is an embedding of size 1, so each
objective's model is the sum of three size-1 embeddings, `w . side` and a global intercept, passed
through a sigmoid (a logistic link keeps predictions in [0, 1] as the model contract asks; the
linear index is exactly the linear regression of the paper). Objectives never share a parameter:
trained jointly under a summed loss, each sub-model receives exactly its own gradient, which is
the paper's "one model per objective".

Config keys: `l2` (L2 penalty on the id weights, default 0.0).

Example:
>>> from ms_bridge.datasets.spec import get_spec
>>> model = build_lr(get_spec("mlhd"), {"user_id": 10, "item_id": 20, "artist_id": 5}, {})
>>> sorted(model.output_names) == sorted(get_spec("mlhd").objective_names)
True
"""

from __future__ import annotations

from typing import Any, Mapping

import keras

from baselines import _common as C
from ms_bridge.datasets.spec import DatasetSpec
from ms_bridge.registry import register_model


def build_lr(spec: DatasetSpec, vocab: Mapping[str, int], config: Mapping[str, Any] | None = None) -> keras.Model:
    """Builds the per-objective linear models as one Keras model."""
    config = C.check_config(config)
    vocab = C.check_vocab(vocab)
    l2 = C.config_float(config, "l2", 0.0)
    inputs = C.model_inputs(spec)
    outputs = {}
    for objective in spec.objective_names:
        weights = C.embed_ids(inputs, vocab, dim=1, prefix=f"{objective}_lr", l2=l2)
        terms = [weights[name] for name in C.ID_FEATURES]
        if "side" in inputs:
            terms.append(keras.layers.Dense(1, use_bias=False, name=f"{objective}_lr_side")(inputs["side"]))
        index = C.ScalarBias(name=f"{objective}_lr_intercept")(keras.layers.Add(name=f"{objective}_lr_sum")(terms))
        outputs[objective] = keras.layers.Activation("sigmoid", name=objective)(index)
    return keras.Model(inputs, C.ordered_outputs(spec, outputs), name="lr")


register_model("lr", build_lr, label="LR", family="single-objective")
