"""Wide&Deep (Cheng et al. 2016), one independent model per objective.

Per objective, the wide part is a linear model on one-hot ids (size-1 embeddings of user, item and
artist) plus cross-product features user x item and user x artist, hashed into `cross_bins`
buckets (`ms_bridge.layers.HashedCross`: `(a * 1_000_003 + b) mod cross_bins`, ordered, integer
arithmetic only) — the memorisation component; the deep part concatenates learned user,
item and artist embeddings (and side features) through Appendix B's [128, 80, 40] ReLU layers into
a logit — the generalisation component. Wide and deep logits are summed and passed through a
sigmoid, trained jointly as in the paper (Adam for both parts here, instead of FTRL for the wide
part, so the whole model trains through the shared harness). Objectives share no parameter.

Config keys: `embedding_dim` (40), `hidden_units` ([128, 80, 40]), `cross_bins` (2**16),
`l2` (penalty on embeddings and wide weights, 0.0), `dropout` (0.0).

Example:
>>> from ms_bridge.datasets.spec import get_spec
>>> model = build_wide_deep(get_spec("mlhd"), {"user_id": 10, "item_id": 20, "artist_id": 5}, {"cross_bins": 64})
>>> model.get_layer("is_skip_wide_user_item_embedding").input_dim
64
"""

from __future__ import annotations

from typing import Any, Mapping

import keras

from baselines import _common as C
from ms_bridge.datasets.spec import DatasetSpec
from ms_bridge.layers.crosses import HashedCross
from ms_bridge.registry import register_model

CROSSES = (("user_id", "item_id"), ("user_id", "artist_id"))


def build_wide_deep(spec: DatasetSpec, vocab: Mapping[str, int],
                    config: Mapping[str, Any] | None = None) -> keras.Model:
    """Builds one Wide&Deep per objective inside one Keras model."""
    config = C.check_config(config)
    vocab = C.check_vocab(vocab)
    dim = C.config_int(config, "embedding_dim", C.DEFAULT_EMBEDDING_DIM)
    units = C.config_units(config, "hidden_units", C.SINGLE_OBJECTIVE_UNITS)
    bins = C.config_int(config, "cross_bins", 2 ** 16, minimum=2)
    l2 = C.config_float(config, "l2", 0.0)
    dropout = C.config_float(config, "dropout", 0.0)
    if dropout >= 1:
        raise ValueError(f"config['dropout'] must be < 1, got {dropout!r}")
    regularizer = keras.regularizers.L2(l2) if l2 > 0 else None
    inputs = C.model_inputs(spec)
    crosses = {(a, b): HashedCross(bins, name=f"cross_{a[:-3]}_{b[:-3]}")([inputs[a], inputs[b]])
               for a, b in CROSSES}
    outputs = {}
    for objective in spec.objective_names:
        wide_terms = list(C.embed_ids(inputs, vocab, 1, prefix=f"{objective}_wide", l2=l2).values())
        for (a, b), index in crosses.items():
            table = keras.layers.Embedding(bins, 1, embeddings_initializer="zeros", embeddings_regularizer=regularizer,
                                           name=f"{objective}_wide_{a[:-3]}_{b[:-3]}_embedding")
            wide_terms.append(table(index))
        if "side" in inputs:
            wide_terms.append(keras.layers.Dense(1, use_bias=False, name=f"{objective}_wide_side")(inputs["side"]))
        emb = C.embed_ids(inputs, vocab, dim, prefix=f"{objective}_deep", l2=l2)
        deep_in = C.concat([emb[n] for n in C.ID_FEATURES] + C.side_or_none(inputs), name=f"{objective}_deep_input")
        deep = C.mlp(deep_in, units, prefix=f"{objective}_deep", dropout=dropout)
        wide_terms.append(keras.layers.Dense(1, name=f"{objective}_deep_logit")(deep))
        logit = keras.layers.Add(name=f"{objective}_logit")(wide_terms)
        outputs[objective] = keras.layers.Activation("sigmoid", name=objective)(logit)
    return keras.Model(inputs, C.ordered_outputs(spec, outputs), name="wide_deep")


register_model("wide_deep", build_wide_deep, label="Wide&Deep", family="single-objective")
