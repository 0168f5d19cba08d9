"""NMTR: neural multi-task recommendation with cascaded predictions (Gao et al. 2019).

NMTR orders behaviours by depth (view -> cart -> purchase) and lets each behaviour's prediction
build on the previous one: shared embeddings, one interaction function per behaviour, and
`logit_t = f_t(u, i) + logit_{t-1}`. Here the behaviours are the objectives, ordered:
the spec's engagement objective first (the shallowest signal), then the other objectives of that
stakeholder in spec order, then each further stakeholder's objectives in spec order (deeper,
downstream outcomes such as becoming a fan). `config["order"]` overrides the order.

Two adaptations, documented in docs/baselines.md: each interaction function is an MLP over the
concatenated shared embeddings with Appendix B's [16, 8, 6] layers (NMTR's NCF-style function),
and the previous logit enters through a trainable scalar initialised to 1 (`CascadeAdd`), because
objectives here can be negatively related (e.g. IsSkip vs %Listening), which NMTR's purchase
funnel never is; with the scalar fixed at 1 this is NMTR exactly.

Config keys: `embedding_dim` (40), `hidden_units` ([16, 8, 6]), `order` (objective names),
`l2` (0.0).

Example:
>>> from ms_bridge.datasets.spec import get_spec
>>> cascade_order(get_spec("youku"))
('play_rate', 'video_view', 'time_spent', 'relevance', 'novelty')
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import keras

from baselines import _common as C
from ms_bridge.datasets.spec import DatasetSpec
from ms_bridge.registry import register_model


@keras.saving.register_keras_serializable(package=C.PACKAGE)
class CascadeAdd(keras.layers.Layer):
    """`own + scale * previous`, with a trainable scalar `scale` initialised to `initial_scale`.

    >>> import numpy as np
    >>> np.asarray(CascadeAdd()([np.array([[1.0]], "float32"), np.array([[2.0]], "float32")])).tolist()
    [[3.0]]
    """

    def __init__(self, initial_scale: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.initial_scale = float(initial_scale)

    def build(self, input_shape):
        self.scale = self.add_weight(name="scale", shape=(),
                                     initializer=keras.initializers.Constant(self.initial_scale))

    def call(self, inputs):
        own, previous = inputs
        return own + self.scale * previous

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "initial_scale": self.initial_scale}


def cascade_order(spec: DatasetSpec, order: Sequence[str] | None = None) -> tuple[str, ...]:
    """The cascade order: `order` checked to be a permutation of the objectives, or the default
    (engagement first, then its stakeholder's objectives, then the other stakeholders')."""
    names = spec.objective_names
    if order is not None:
        if isinstance(order, str) or sorted(order) != sorted(names):
            raise ValueError(f"config['order'] must list each objective once {names}, got {order!r}")
        return tuple(order)
    first = spec.objective(spec.engagement).stakeholder
    stakeholders = [first] + [s for s in spec.stakeholders if s != first]
    ranked = [spec.engagement]
    for s in stakeholders:
        ranked += [o.name for o in spec.objectives_of(s) if o.name != spec.engagement]
    return tuple(ranked)


def build_nmtr(spec: DatasetSpec, vocab: Mapping[str, int], config: Mapping[str, Any] | None = None) -> keras.Model:
    """Builds the cascaded multi-task model over `cascade_order(spec, config.get("order"))`."""
    config = C.check_config(config)
    vocab = C.check_vocab(vocab)
    dim = C.config_int(config, "embedding_dim", C.DEFAULT_EMBEDDING_DIM)
    units = C.config_units(config, "hidden_units", C.MULTI_OBJECTIVE_UNITS)
    order = cascade_order(spec, config.get("order"))
    l2 = C.config_float(config, "l2", 0.0)
    inputs = C.model_inputs(spec)
    emb = C.embed_ids(inputs, vocab, dim, prefix="nmtr", l2=l2)
    shared = C.concat([emb[n] for n in C.ID_FEATURES] + C.side_or_none(inputs), name="nmtr_input")
    outputs, previous = {}, None
    for objective in order:
        own = keras.layers.Dense(1, name=f"{objective}_own_logit")(C.mlp(shared, units, prefix=f"{objective}_nmtr"))
        logit = own if previous is None else CascadeAdd(name=f"{objective}_cascade")([own, previous])
        outputs[objective] = keras.layers.Activation("sigmoid", name=objective)(logit)
        previous = logit
    return keras.Model(inputs, C.ordered_outputs(spec, outputs), name="nmtr")


register_model("nmtr", build_nmtr, label="NMTR", family="multi-objective")
