"""MoSE: multi-task mixture of sequential experts (Qin et al. 2020).

MoSE replaces MMoE's feed-forward parts with LSTMs so that experts model the user's sequential
behaviour: an LSTM shared bottom over the behaviour sequence, sequential (LSTM) experts on top of
it, one softmax gate per task and per-task towers. The sequence here is the user's previous
`history_length` items (`recent_items`, 0-padded, most recent last) followed by the candidate item,
all embedded with one item table, so the experts read the history and end on the item being scored.
Padding is on the left and unmasked: the LSTM reads the padding rows before any real item and
learns to ignore them (masks would also block cuDNN, which accepts right-padded masks only).
Each objective's gate (softmax over experts) reads the user and artist embeddings and the shared
bottom's last state; its tower reads the expert mixture with the user and artist embeddings.
Appendix B's [16, 8, 6]: shared-bottom LSTM of 16 units, LSTM experts of 8, tower layer of 6.

Config keys: `history_length` (L, default 10; the pipeline reads it from the model's input shape),
`embedding_dim` (40), `num_experts` (number of objectives), `bottom_units` (16), `expert_units` (8),
`tower_units` ([6]), `l2` (0.0).

Example:
>>> from ms_bridge.datasets.spec import get_spec
>>> model = build_mose(get_spec("mlhd"), {"user_id": 10, "item_id": 20, "artist_id": 5}, {"history_length": 4})
>>> tuple(model.get_layer("recent_items").output.shape)
(None, 4)
"""

from __future__ import annotations

from typing import Any, Mapping

import keras

from baselines import _common as C
from ms_bridge.datasets.spec import DatasetSpec
from ms_bridge.registry import register_model

DEFAULT_HISTORY_LENGTH = 10


def build_mose(spec: DatasetSpec, vocab: Mapping[str, int], config: Mapping[str, Any] | None = None) -> keras.Model:
    """Builds MoSE over `recent_items` + the candidate item."""
    config = C.check_config(config)
    vocab = C.check_vocab(vocab)
    length = C.config_int(config, "history_length", DEFAULT_HISTORY_LENGTH)
    dim = C.config_int(config, "embedding_dim", C.DEFAULT_EMBEDDING_DIM)
    num_experts = C.config_int(config, "num_experts", len(spec.objectives))
    bottom_units = C.config_int(config, "bottom_units", C.MULTI_OBJECTIVE_UNITS[0])
    expert_units = C.config_int(config, "expert_units", C.MULTI_OBJECTIVE_UNITS[1])
    tower_units = C.config_units(config, "tower_units", C.MULTI_OBJECTIVE_UNITS[2:], allow_empty=True)
    l2 = C.config_float(config, "l2", 0.0)
    inputs = C.model_inputs(spec, history_length=length)
    tables = C.embedding_tables(vocab, dim, prefix="mose", l2=l2)
    emb = {name: tables[name](inputs[name]) for name in C.ID_FEATURES}
    history = tables["item_id"](inputs["recent_items"])                             # (batch, L, dim)
    candidate = keras.layers.Reshape((1, dim), name="mose_candidate_step")(emb["item_id"])
    sequence = keras.layers.Concatenate(axis=1, name="mose_sequence")([history, candidate])  # (batch, L+1, dim)
    bottom_seq, bottom_state, _ = keras.layers.LSTM(bottom_units, return_sequences=True, return_state=True,
                                                    name="mose_shared_bottom")(sequence)
    experts = [keras.layers.LSTM(expert_units, name=f"sequential_expert_{e}")(bottom_seq) for e in range(num_experts)]
    context = C.concat([emb["user_id"], emb["artist_id"], bottom_state] + C.side_or_none(inputs), name="mose_context")
    outputs = {}
    for objective in spec.objective_names:
        gate = keras.layers.Dense(num_experts, activation="softmax", name=f"{objective}_gate")(context)
        mixed = C.ExpertMixture(name=f"{objective}_mixture")([gate] + experts)
        tower_in = C.concat([mixed, emb["user_id"], emb["artist_id"]], name=f"{objective}_tower_input")
        outputs[objective] = C.sigmoid_head(C.mlp(tower_in, tower_units, prefix=f"{objective}_tower"), objective)
    return keras.Model(inputs, C.ordered_outputs(spec, outputs), name="mose")


register_model("mose", build_mose, label="MoSE", family="multi-objective")
