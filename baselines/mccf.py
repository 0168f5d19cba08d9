"""MCCF: multi-criteria collaborative filtering (Adomavicius and Kwon 2007; Adomavicius et al. 2011).

The aggregation-function approach of multi-criteria recommenders: every criterion (here, every
objective) gets its own single-criterion CF predictor, and a learned aggregation function maps the
vector of criterion predictions to each final prediction. Here each criterion predictor is a biased
matrix factorisation with an artist term, `r_k = mu_k + b_u + b_i + b_a + p_u . (q_i + y_a)`
(per-objective tables, SVD-style), and the aggregation is linear (the paper's linear-regression
aggregation): `y_k = sigmoid(sum_j A_kj r_j + c_k)`, with `A` initialised to the identity so
training starts from the independent criterion models and learns how criteria inform each other.
MCCF is not a deep model, so Appendix B's [16, 8, 6] layers do not apply; its size is `embedding_dim`.

Config keys: `embedding_dim` (factors per objective, default 40), `l2` (penalty on factors and
biases, default 0.0).

Example:
>>> from ms_bridge.datasets.spec import get_spec
>>> model = build_mccf(get_spec("mlhd"), {"user_id": 10, "item_id": 20, "artist_id": 5}, {"embedding_dim": 4})
>>> model.get_layer("mccf_aggregation").units
5
"""

from __future__ import annotations

from typing import Any, Mapping

import keras

from baselines import _common as C
from ms_bridge.datasets.spec import DatasetSpec
from ms_bridge.registry import register_model


def build_mccf(spec: DatasetSpec, vocab: Mapping[str, int], config: Mapping[str, Any] | None = None) -> keras.Model:
    """Builds per-objective MF predictors joined by a learned linear aggregation function."""
    config = C.check_config(config)
    vocab = C.check_vocab(vocab)
    dim = C.config_int(config, "embedding_dim", C.DEFAULT_EMBEDDING_DIM)
    l2 = C.config_float(config, "l2", 0.0)
    inputs = C.model_inputs(spec)
    criteria = []
    for objective in spec.objective_names:
        factors = C.embed_ids(inputs, vocab, dim, prefix=f"{objective}_mf", l2=l2)
        biases = C.embed_ids(inputs, vocab, 1, prefix=f"{objective}_mf_bias", l2=l2)
        item_side = keras.layers.Add(name=f"{objective}_mf_item_side")([factors["item_id"], factors["artist_id"]])
        dot = keras.layers.Dot(axes=1, name=f"{objective}_mf_dot")([factors["user_id"], item_side])
        terms = [dot] + [biases[n] for n in C.ID_FEATURES]
        if "side" in inputs:
            terms.append(keras.layers.Dense(1, use_bias=False, name=f"{objective}_mf_side")(inputs["side"]))
        criteria.append(C.ScalarBias(name=f"{objective}_mf_mean")(keras.layers.Add(name=f"{objective}_mf_sum")(terms)))
    stacked = C.concat(criteria, name="mccf_criteria")
    aggregated = keras.layers.Dense(len(criteria), kernel_initializer="identity", name="mccf_aggregation")(stacked)
    outputs = {}
    for k, objective in enumerate(spec.objective_names):
        column = C.ColumnSlice(k, name=f"{objective}_logit")(aggregated)
        outputs[objective] = keras.layers.Activation("sigmoid", name=objective)(column)
    return keras.Model(inputs, C.ordered_outputs(spec, outputs), name="mccf")


register_model("mccf", build_mccf, label="MCCF", family="multi-objective")
