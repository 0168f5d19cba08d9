import keras
import pytest

from ms_bridge.layers.bridge import bridge, bridge_edges
from ms_bridge.layers.towers import TowerSpec, build_towers


def test_edges_all():
    assert bridge_edges(["u", "a", "p"], "all") == {"u": ("a", "p"), "a": ("u", "p"), "p": ("u", "a")}


def test_edges_chain_and_loop():
    assert bridge_edges(["x", "y", "z"], "chain") == {"x": (), "y": ("x",), "z": ("y",)}
    assert bridge_edges(["x", "y", "z"], "chain_loop") == {"x": ("z",), "y": ("x",), "z": ("y",)}


def test_edges_none_and_single_tower():
    assert bridge_edges(["x", "y"], "none") == {"x": (), "y": ()}
    assert bridge_edges(["x"], "all") == {"x": ()}


def test_edges_errors():
    with pytest.raises(ValueError, match="topology 'ring'"):
        bridge_edges(["x", "y"], "ring")
    with pytest.raises(ValueError, match="duplicate tower names"):
        bridge_edges(["x", "x"], "all")


def test_bridge_layer_names_and_width():
    own, other = keras.Input((4,)), keras.Input((6,))
    out = bridge("user", own, [other], 4, "relu")
    assert out.shape == (None, 4)
    with pytest.raises(ValueError, match="needs at least one source"):
        bridge("user", own, [], 4, "relu")


def test_tower_spec_validation():
    assert TowerSpec("u", "u", ("o",), (4, 3, 2, 1)).width("output") == 1
    assert TowerSpec("u", "u", ("o", "p"), (4, 3, 2, 1)).width("middle") == 2
    with pytest.raises(ValueError, match="4 positive ints"):
        TowerSpec("u", "u", ("o",), (4, 3, 2))
    with pytest.raises(ValueError, match="no objective"):
        TowerSpec("u", "u", (), (4, 3, 2, 1))


def test_build_towers_errors():
    w = keras.Input((5,))
    towers = [TowerSpec("u", "u", ("o",), (4, 3, 2, 1))]
    with pytest.raises(ValueError, match="bridge location 'side'"):
        build_towers(w, towers, bridge_location="side", edges={"u": ()})
    with pytest.raises(ValueError, match=r"unknown towers \['ghost'\]"):
        build_towers(w, towers, bridge_location="middle", edges={"u": ("ghost",)})
