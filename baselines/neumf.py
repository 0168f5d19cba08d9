"""NeuMF (He et al. 2017): GMF + MLP fused by a final layer, one independent model per objective.

Per objective: a GMF branch (element-wise products of the user vector with the item and the
artist vectors, the artist being a second "item" side the user interacts with) and an MLP branch
(concatenated user, item and artist vectors through Appendix B's [128, 80, 40] ReLU layers), with
separate embedding tables for the two branches as in the paper; the NeuMF layer concatenates both
branches into a Dense(1, sigmoid) — the final "1" of [128, 80, 40, 1]. Objectives share no
parameter, so a summed loss gives each sub-model exactly its own gradient (one model per objective).

Config keys: `embedding_dim` (default 40, both branches), `hidden_units` (default [128, 80, 40]),
`l2` (embedding penalty, default 0.0), `dropout` (default 0.0).

Example:
>>> from ms_bridge.datasets.spec import get_spec
>>> model = build_neumf(get_spec("mlhd"), {"user_id": 10, "item_id": 20, "artist_id": 5}, {"embedding_dim": 4})
>>> model.get_layer("pct_listening_gmf_user_embedding").output_dim
4
"""

from __future__ import annotations

from typing import Any, Mapping

import keras

from baselines import _common as C
from ms_bridge.datasets.spec import DatasetSpec
from ms_bridge.registry import register_model


def build_neumf(spec: DatasetSpec, vocab: Mapping[str, int], config: Mapping[str, Any] | None = None) -> keras.Model:
    """Builds one NeuMF per objective inside one Keras model."""
    config = C.check_config(config)
    vocab = C.check_vocab(vocab)
    dim = C.config_int(config, "embedding_dim", C.DEFAULT_EMBEDDING_DIM)
    units = C.config_units(config, "hidden_units", C.SINGLE_OBJECTIVE_UNITS)
    l2 = C.config_float(config, "l2", 0.0)
    dropout = C.config_float(config, "dropout", 0.0)
    if dropout >= 1:
        raise ValueError(f"config['dropout'] must be < 1, got {dropout!r}")
    inputs = C.model_inputs(spec)
    outputs = {}
    for objective in spec.objective_names:
        gmf = C.embed_ids(inputs, vocab, dim, prefix=f"{objective}_gmf", l2=l2)
        gmf_vector = C.concat([
            keras.layers.Multiply(name=f"{objective}_gmf_user_item")([gmf["user_id"], gmf["item_id"]]),
            keras.layers.Multiply(name=f"{objective}_gmf_user_artist")([gmf["user_id"], gmf["artist_id"]]),
        ], name=f"{objective}_gmf_vector")
        emb = C.embed_ids(inputs, vocab, dim, prefix=f"{objective}_mlp", l2=l2)
        mlp_in = C.concat([emb[n] for n in C.ID_FEATURES] + C.side_or_none(inputs), name=f"{objective}_mlp_input")
        mlp_vector = C.mlp(mlp_in, units, prefix=f"{objective}_mlp", dropout=dropout)
        fused = C.concat([gmf_vector, mlp_vector], name=f"{objective}_neumf")
        outputs[objective] = C.sigmoid_head(fused, objective)
    return keras.Model(inputs, C.ordered_outputs(spec, outputs), name="neumf")


register_model("neumf", build_neumf, label="NeuMF", family="single-objective")
