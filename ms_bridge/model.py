"""The MS-Bridge model builder and its Table 6 / Table 7 variants (paper §4.3–4.4, §5.9–5.10).

`build_ms_bridge(spec, vocab, config)` builds every variant from one configuration:
id embeddings -> backbone (NCF or Wide&Deep) -> w_hat -> towers (one per stakeholder, or one per
objective) -> bridges at one location -> one sigmoid head per objective. The model's inputs
are `user_id`, `item_id`, `artist_id` (int32, shape (batch,); a trailing axis of 1 is also
accepted), plus `side` (float32, (batch, n_side)) when side features are configured and
`recent_items` (int32, (batch, L)) when `history_length > 0`. Its outputs are a dict
{objective: (batch, 1) sigmoid}, predicting the scaled objectives.

Importing this module registers the variants (`VARIANTS`) in `ms_bridge.registry`.

Example:
>>> from ms_bridge.datasets.spec import get_spec
>>> vocab = {"user_id": 11, "item_id": 21, "artist_id": 6}
>>> model = build_ms_bridge(get_spec("mlhd"), vocab, {"bridge_location": "middle"})
>>> sorted(model.output_names)
['is_finish', 'is_skip', 'new_fan', 'pct_listening', 'recurring_fan']
>>> model.get_layer("user_bridge").units, model.get_layer("artist_bridge").units
(32, 16)
"""

from __future__ import annotations

import copy
import pathlib
from typing import Any, Mapping

import keras
import numpy as np

from ms_bridge import registry
from ms_bridge.autoencoder import pretrain_embeddings
from ms_bridge.layers.backbones import BACKBONES, DEFAULT_CROSSES, ncf, wide_deep
from ms_bridge.layers.bridge import LOCATIONS, TOPOLOGIES, bridge_edges
from ms_bridge.layers.embeddings import (ID_FEATURES, PretrainedTable, align_rows, entity_name,
                                         id_embedding, load_pretrained)
from ms_bridge.layers.pooling import MaskedMeanPooling
from ms_bridge.layers.towers import TowerSpec, build_towers

TOWER_KINDS = ("stakeholder", "objective")

#: Every option the builder reads, with its default (see docs/model.md).
DEFAULT_CONFIG: dict[str, Any] = {
    "name": "ms_bridge",
    "backbone": "ncf",
    "embedding_dim": 40,
    "embedding_l2": 0.0,
    "shared_bottom_units": (128, 64),
    "wide_units": 8,
    "wide_cross_bins": 2 ** 15,
    "wide_crosses": DEFAULT_CROSSES,
    "towers": "stakeholder",
    "tower_units": {"user": (64, 64, 32, 16), "artist": (32, 32, 16, 8)},
    "default_tower_units": (64, 64, 32, 16),
    "bridge_location": "middle",
    "bridge_topology": "all",
    "chain_start": None,
    "activation": "relu",
    "side_features": None,
    "history_length": 0,
    "pretrained": {},
    "pretrained_trainable": True,
    "autoencoder_features": {},
    "autoencoder_epochs": 100,
    "seed": 0,
}


def _normalise(config: Mapping[str, Any] | None) -> dict[str, Any]:
    """A copy of `config` with `bridge` (the experiments' flag name) read as `bridge_location`."""
    config = dict(config or {})
    if "bridge" in config:
        alias = config.pop("bridge")
        if config.get("bridge_location", alias) != alias:
            raise ValueError(f"config sets bridge={alias!r} and bridge_location="
                             f"{config['bridge_location']!r}; give one")
        config["bridge_location"] = alias
    return config


def resolve_config(config: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Defaults overlaid by `config` (unknown keys are kept and ignored by the builder);
    `tower_units` is merged per stakeholder rather than replaced, and `bridge` is accepted as
    an alias of `bridge_location`."""
    config = _normalise(config)
    out = copy.deepcopy(DEFAULT_CONFIG)
    tower_units = {**out["tower_units"], **dict(config.pop("tower_units", None) or {})}
    out.update(config)
    out["tower_units"] = tower_units
    return out


def _validate(spec, vocab: Mapping[str, int], cfg: dict) -> None:
    for feature in ID_FEATURES:
        size = vocab.get(feature)
        if not isinstance(size, (int, np.integer)) or size < 2:
            raise ValueError(f"vocab[{feature!r}] must be an int >= 2 (OOV row plus ids), got {size!r}; "
                             f"vocab = {dict(vocab)}")
    choices = {"backbone": BACKBONES, "towers": TOWER_KINDS, "bridge_location": LOCATIONS,
               "bridge_topology": TOPOLOGIES}
    for key, allowed in choices.items():
        if cfg[key] not in allowed:
            raise ValueError(f"config[{key!r}] = {cfg[key]!r} not in {allowed}")
    for key in ("embedding_dim", "wide_units", "wide_cross_bins"):
        if not isinstance(cfg[key], (int, np.integer)) or cfg[key] < 1:
            raise ValueError(f"config[{key!r}] must be a positive int, got {cfg[key]!r}")
    if not isinstance(cfg["history_length"], (int, np.integer)) or cfg["history_length"] < 0:
        raise ValueError(f"config['history_length'] must be an int >= 0, got {cfg['history_length']!r}")
    if cfg["chain_start"] is not None and cfg["chain_start"] not in spec.stakeholders:
        raise ValueError(f"config['chain_start'] = {cfg['chain_start']!r} is not a stakeholder of "
                         f"dataset {spec.name!r}: {spec.stakeholders}")
    unknown = set(cfg["pretrained"]) | set(cfg["autoencoder_features"])
    unknown -= set(ID_FEATURES)
    if unknown:
        raise ValueError(f"pretrained / autoencoder embeddings for unknown inputs {sorted(unknown)}; "
                         f"known: {ID_FEATURES}")


def tower_specs(spec, cfg: Mapping[str, Any]) -> list[TowerSpec]:
    """The towers of a configuration, in chain order (`chain_start` first, then spec order)."""
    order = list(spec.stakeholders)
    if cfg.get("chain_start") is not None:
        order.remove(cfg["chain_start"])
        order.insert(0, cfg["chain_start"])

    def units(stakeholder: str) -> tuple[int, ...]:
        return tuple(cfg["tower_units"].get(stakeholder, cfg["default_tower_units"]))

    if cfg["towers"] == "stakeholder":
        return [TowerSpec(s, s, tuple(o.name for o in spec.objectives_of(s)), units(s)) for s in order]
    return [TowerSpec(o.name, s, (o.name,), units(s)) for s in order for o in spec.objectives_of(s)]


def _initial_table(feature: str, vocab_size: int, cfg: dict) -> tuple[np.ndarray | None, bool]:
    """Starting matrix (or None for a learned table) and trainability of `feature`'s table."""
    trainable = cfg["pretrained_trainable"]
    if isinstance(trainable, Mapping):
        trainable = trainable.get(feature, True)
    if feature in cfg["autoencoder_features"]:
        features = np.asarray(cfg["autoencoder_features"][feature], dtype="float32")
        if features.ndim != 2 or features.shape[0] not in (vocab_size - 1, vocab_size):
            raise ValueError(f"autoencoder_features[{feature!r}] has shape {features.shape}; expected "
                             f"({vocab_size - 1}, n) or ({vocab_size}, n) rows aligned to the vocabulary")
        result = pretrain_embeddings(features, cfg["embedding_dim"], epochs=cfg["autoencoder_epochs"],
                                     seed=cfg["seed"])
        codes = result.embeddings
        if codes.shape[0] == vocab_size - 1:
            codes = np.concatenate([result.mean_code[None, :], codes])
        return codes, bool(trainable)
    if feature in cfg["pretrained"]:
        source = cfg["pretrained"][feature]
        if isinstance(source, (str, pathlib.Path)):
            table = load_pretrained(source, vocab_size, seed=cfg["seed"])
        elif isinstance(source, Mapping):
            table = load_pretrained(vocab_size=vocab_size, seed=cfg["seed"], **source)
        elif isinstance(source, PretrainedTable):
            table = source
        else:
            table = align_rows(source, vocab_size, seed=cfg["seed"], source=f"pretrained[{feature!r}]")
        if table.matrix.shape[0] != vocab_size:
            raise ValueError(f"pretrained[{feature!r}] has {table.matrix.shape[0]} rows, vocab has {vocab_size}")
        return table.matrix, bool(trainable)
    return None, True


def build_ms_bridge(spec, vocab: Mapping[str, int], config: Mapping[str, Any] | None = None) -> keras.Model:
    """Builds an MS-Bridge model (or a Table 6/7 variant) for `spec`.

    Args:
        spec: a `DatasetSpec` (any number of stakeholders >= 2).
        vocab: {"user_id": n_users + 1, "item_id": ..., "artist_id": ...} (row 0 = OOV).
        config: options overriding `DEFAULT_CONFIG` (see docs/model.md).

    Returns:
        An uncompiled functional `keras.Model` with dict inputs and dict outputs.
    """
    cfg = resolve_config(config)
    _validate(spec, vocab, cfg)
    dim = int(cfg["embedding_dim"])
    ids = {f: keras.Input(shape=(), dtype="int32", name=f) for f in ID_FEATURES}
    inputs: dict[str, Any] = dict(ids)

    features, item_table, item_projection = [], None, None
    for feature in ID_FEATURES:
        initial, trainable = _initial_table(feature, int(vocab[feature]), cfg)
        width = dim if initial is None else initial.shape[1]
        table = id_embedding(feature, int(vocab[feature]), width, initial=initial, trainable=trainable,
                             l2=float(cfg["embedding_l2"]))
        projection = (keras.layers.Dense(dim, name=f"{entity_name(feature)}_projection")
                      if width != dim else None)
        x = table(ids[feature])
        features.append(projection(x) if projection else x)
        if feature == "item_id":
            item_table, item_projection = table, projection

    side_features = spec.side_features if cfg["side_features"] is None else tuple(cfg["side_features"])
    if side_features:
        inputs["side"] = keras.Input(shape=(len(side_features),), dtype="float32", name="side")
        features.append(inputs["side"])
    if cfg["history_length"] > 0:
        recent = keras.Input(shape=(int(cfg["history_length"]),), dtype="int32", name="recent_items")
        inputs["recent_items"] = recent
        vectors = item_table(recent)
        if item_projection is not None:
            vectors = item_projection(vectors)
        features.append(MaskedMeanPooling(name="recent_items_pooling")([recent, vectors]))

    if cfg["backbone"] == "ncf":
        w_hat = ncf(features, cfg["shared_bottom_units"], cfg["activation"])
    else:
        w_hat = wide_deep(features, ids, vocab, units=cfg["shared_bottom_units"], activation=cfg["activation"],
                          wide_units=int(cfg["wide_units"]), cross_bins=int(cfg["wide_cross_bins"]),
                          crosses=[tuple(c) for c in cfg["wide_crosses"]], l2=float(cfg["embedding_l2"]))

    towers = tower_specs(spec, cfg)
    clash = set(spec.objective_names) & {f"{t.name}_{s}" for t in towers
                                         for s in ("input", "bottom", "middle", "top", "output", "bridge")}
    if clash:
        raise ValueError(f"objective names {sorted(clash)} clash with tower layer names")
    topology = "none" if cfg["bridge_location"] == "none" else cfg["bridge_topology"]
    edges = bridge_edges([t.name for t in towers], topology)
    heads = build_towers(w_hat, towers, bridge_location=cfg["bridge_location"], edges=edges,
                         activation=cfg["activation"])
    outputs = {name: heads[name] for name in spec.objective_names}
    return keras.Model(inputs=inputs, outputs=outputs, name=str(cfg["name"]))


def embedding_variables(model: keras.Model) -> list:
    """Trainable variables of the layers named `*_embedding` (the large, sparse tables)."""
    return [v for layer in model.layers if layer.name.endswith("_embedding") for v in layer.trainable_variables]


def dense_variables(model: keras.Model) -> list:
    """Trainable variables of every other layer (complement of `embedding_variables`)."""
    embedded = {id(v) for v in embedding_variables(model)}
    return [v for v in model.trainable_variables if id(v) not in embedded]


#: slug -> (table label, registry family, config keys that define the variant and win over
#: the caller's config). Keys not listed (backbone of Table 6 variants, bridge location of the
#: bridged ones, sizes, embeddings) follow the caller's config.
VARIANTS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "ms_bridge_ncf": ("MS-Bridge (NCF)", "ms-bridge",
                      {"backbone": "ncf", "towers": "stakeholder", "bridge_topology": "all"}),
    "ms_bridge_wide_deep": ("MS-Bridge (Wide&Deep)", "ms-bridge",
                            {"backbone": "wide_deep", "towers": "stakeholder", "bridge_topology": "all"}),
    "no_bridge_ncf": ("NCF (No Bridge)", "ms-bridge",
                      {"backbone": "ncf", "towers": "stakeholder", "bridge_topology": "none",
                       "bridge_location": "none"}),
    "no_bridge_wide_deep": ("Wide&Deep (No Bridge)", "ms-bridge",
                            {"backbone": "wide_deep", "towers": "stakeholder", "bridge_topology": "none",
                             "bridge_location": "none"}),
    "single_objective_towers": ("Single-Objective Towers", "single-objective",
                                {"towers": "objective", "bridge_topology": "none", "bridge_location": "none"}),
    "chain_user_to_artist": ("User to Artist Towers", "ablation",
                             {"towers": "objective", "bridge_topology": "chain", "chain_start": "user"}),
    "chain_user_to_artist_loop": ("User to Artist Towers (+Loop)", "ablation",
                                  {"towers": "objective", "bridge_topology": "chain_loop", "chain_start": "user"}),
    "chain_artist_to_user": ("Artist to User Towers", "ablation",
                             {"towers": "objective", "bridge_topology": "chain", "chain_start": "artist"}),
    "chain_artist_to_user_loop": ("Artist to User Towers (+Loop)", "ablation",
                                  {"towers": "objective", "bridge_topology": "chain_loop",
                                   "chain_start": "artist"}),
    "fully_connected_towers": ("Fully-Connected Towers", "ablation",
                               {"towers": "objective", "bridge_topology": "all", "chain_start": None}),
    **{f"ms_bridge_{loc}": (f"MS-Bridge ({loc.capitalize()} Layer)", "ablation",
                            {"towers": "stakeholder", "bridge_topology": "all", "bridge_location": loc})
       for loc in ("input", "bottom", "middle", "top", "output")},
}


def _variant_builder(slug: str, fixed: Mapping[str, Any]):
    def build(spec, vocab, config=None):
        merged = {"name": slug, **_normalise(config), **fixed}
        if fixed.get("bridge_topology", "none") != "none" and merged.get("bridge_location") == "none":
            raise ValueError(f"model {slug!r} needs a bridge; config['bridge_location'] = 'none' "
                             f"contradicts it (use a no_bridge_* or single_objective_towers model)")
        return build_ms_bridge(spec, vocab, merged)

    build.__name__ = f"build_{slug}"
    build.__doc__ = f"Builds {VARIANTS[slug][0]} (`{slug}`): `build_ms_bridge` with {dict(fixed)}."
    return build


for _slug, (_label, _family, _fixed) in VARIANTS.items():
    registry.register_model(_slug, _variant_builder(_slug, _fixed), label=_label, family=_family)
