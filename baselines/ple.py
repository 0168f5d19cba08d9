"""PLE: progressive layered extraction with customised gate control (Tang et al. 2020).

Two extraction levels. Each level has `num_shared_experts` shared experts and
`experts_per_objective` experts per objective. In a level, objective k's gate (softmax, a linear
map of that objective's input) mixes its own experts with the shared ones (the CGC unit); a shared
gate mixes all experts to form the next level's shared input. The last level has no shared gate;
each objective's mixture feeds its tower and sigmoid head. Appendix B's [16, 8, 6]: experts have
16 units in level 1 and 8 in level 2, towers one layer of 6.

Config keys: `embedding_dim` (40), `num_shared_experts` (2), `experts_per_objective` (1),
`level_units` ([16, 8], one width per level, so its length sets the number of levels),
`tower_units` ([6]), `l2` (0.0).

Example:
>>> from ms_bridge.datasets.spec import get_spec
>>> model = build_ple(get_spec("mlhd"), {"user_id": 10, "item_id": 20, "artist_id": 5}, {})
>>> model.get_layer("level_0_shared_gate").units   # 2 shared + 5 objectives x 1 expert
7
"""

from __future__ import annotations

from typing import Any, Mapping

import keras

from baselines import _common as C
from ms_bridge.datasets.spec import DatasetSpec
from ms_bridge.registry import register_model


def build_ple(spec: DatasetSpec, vocab: Mapping[str, int], config: Mapping[str, Any] | None = None) -> keras.Model:
    """Builds a PLE with `len(level_units)` extraction levels (two by default)."""
    config = C.check_config(config)
    vocab = C.check_vocab(vocab)
    dim = C.config_int(config, "embedding_dim", C.DEFAULT_EMBEDDING_DIM)
    n_shared = C.config_int(config, "num_shared_experts", 2)
    n_own = C.config_int(config, "experts_per_objective", 1)
    level_units = C.config_units(config, "level_units", C.MULTI_OBJECTIVE_UNITS[:2])
    tower_units = C.config_units(config, "tower_units", C.MULTI_OBJECTIVE_UNITS[2:], allow_empty=True)
    l2 = C.config_float(config, "l2", 0.0)
    inputs = C.model_inputs(spec)
    emb = C.embed_ids(inputs, vocab, dim, prefix="ple", l2=l2)
    x = C.concat([emb[n] for n in C.ID_FEATURES] + C.side_or_none(inputs), name="ple_input")
    objectives = spec.objective_names
    task_in = {o: x for o in objectives}
    shared_in = x
    for level, width in enumerate(level_units):
        last = level == len(level_units) - 1

        def expert(source, name):
            return keras.layers.Dense(width, activation="relu", name=f"level_{level}_{name}")(source)

        shared = [expert(shared_in, f"shared_expert_{e}") for e in range(n_shared)]
        own = {o: [expert(task_in[o], f"{o}_expert_{e}") for e in range(n_own)] for o in objectives}
        next_task_in = {}
        for o in objectives:
            pool = own[o] + shared
            gate = keras.layers.Dense(len(pool), activation="softmax", name=f"level_{level}_{o}_gate")(task_in[o])
            next_task_in[o] = C.ExpertMixture(name=f"level_{level}_{o}_mixture")([gate] + pool)
        if not last:
            pool = [e for o in objectives for e in own[o]] + shared
            gate = keras.layers.Dense(len(pool), activation="softmax", name=f"level_{level}_shared_gate")(shared_in)
            shared_in = C.ExpertMixture(name=f"level_{level}_shared_mixture")([gate] + pool)
        task_in = next_task_in
    outputs = {}
    for o in objectives:
        tower = C.mlp(task_in[o], tower_units, prefix=f"{o}_tower")
        outputs[o] = C.sigmoid_head(tower, o)
    return keras.Model(inputs, C.ordered_outputs(spec, outputs), name="ple")


register_model("ple", build_ple, label="PLE", family="multi-objective")
