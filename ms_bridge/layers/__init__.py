"""MS-Bridge building blocks: embeddings, backbones, towers and the knowledge bridge."""

from ms_bridge.layers.backbones import BACKBONES, ncf, wide_deep, wide_linear
from ms_bridge.layers.bridge import BRIDGE_LOCATIONS, LOCATIONS, TOPOLOGIES, bridge, bridge_edges
from ms_bridge.layers.crosses import HashedCross
from ms_bridge.layers.embeddings import (ID_FEATURES, PretrainedTable, align_rows, entity_name,
                                         id_embedding, load_pretrained)
from ms_bridge.layers.pooling import MaskedMeanPooling
from ms_bridge.layers.towers import HIDDEN_LAYERS, TowerSpec, build_towers

__all__ = [
    "BACKBONES", "BRIDGE_LOCATIONS", "HIDDEN_LAYERS", "ID_FEATURES", "LOCATIONS", "TOPOLOGIES",
    "HashedCross", "MaskedMeanPooling", "PretrainedTable", "TowerSpec", "align_rows", "bridge", "bridge_edges",
    "build_towers", "entity_name", "id_embedding", "load_pretrained", "ncf", "wide_deep", "wide_linear",
]
