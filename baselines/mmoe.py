"""MMoE: multi-gate mixture-of-experts (Ma et al. 2018).

Shared input (concatenated user, item and artist embeddings, plus side features) feeds `num_experts`
expert MLPs; each objective has its own softmax gate over the experts (a linear map of the input,
as in the paper), a gate-weighted mixture (`ExpertMixture`) and its own tower with a sigmoid head.
Appendix B's [16, 8, 6] hidden layers are split as expert layers [16, 8] and a tower layer [6], so
every input-to-output path crosses exactly those three layers. `num_experts` defaults to the
number of objectives (Appendix B: "six expert models (one for each objective)").

Config keys: `embedding_dim` (40), `num_experts` (number of objectives), `expert_units` ([16, 8]),
`tower_units` ([6]), `l2` (embedding penalty, 0.0).

Example:
>>> from ms_bridge.datasets.spec import get_spec
>>> model = build_mmoe(get_spec("mlhd"), {"user_id": 10, "item_id": 20, "artist_id": 5}, {"num_experts": 3})
>>> model.get_layer("is_skip_gate").units
3
"""

from __future__ import annotations

from typing import Any, Mapping

import keras

from baselines import _common as C
from ms_bridge.datasets.spec import DatasetSpec
from ms_bridge.registry import register_model


def build_mmoe(spec: DatasetSpec, vocab: Mapping[str, int], config: Mapping[str, Any] | None = None) -> keras.Model:
    """Builds an MMoE with one gate and one tower per objective."""
    config = C.check_config(config)
    vocab = C.check_vocab(vocab)
    dim = C.config_int(config, "embedding_dim", C.DEFAULT_EMBEDDING_DIM)
    num_experts = C.config_int(config, "num_experts", len(spec.objectives))
    expert_units = C.config_units(config, "expert_units", C.MULTI_OBJECTIVE_UNITS[:2])
    tower_units = C.config_units(config, "tower_units", C.MULTI_OBJECTIVE_UNITS[2:], allow_empty=True)
    l2 = C.config_float(config, "l2", 0.0)
    inputs = C.model_inputs(spec)
    emb = C.embed_ids(inputs, vocab, dim, prefix="mmoe", l2=l2)
    shared = C.concat([emb[n] for n in C.ID_FEATURES] + C.side_or_none(inputs), name="mmoe_input")
    experts = [C.mlp(shared, expert_units, prefix=f"expert_{e}") for e in range(num_experts)]
    outputs = {}
    for objective in spec.objective_names:
        gate = keras.layers.Dense(num_experts, activation="softmax", name=f"{objective}_gate")(shared)
        mixed = C.ExpertMixture(name=f"{objective}_mixture")([gate] + experts)
        tower = C.mlp(mixed, tower_units, prefix=f"{objective}_tower")
        outputs[objective] = C.sigmoid_head(tower, objective)
    return keras.Model(inputs, C.ordered_outputs(spec, outputs), name="mmoe")


register_model("mmoe", build_mmoe, label="MMoE", family="multi-objective")
