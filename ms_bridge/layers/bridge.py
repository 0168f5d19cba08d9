"""The knowledge bridge (paper §4.4): where towers exchange their hidden state, and between whom.

At location L, the bridge of tower t concatenates t's layer-L activation with the layer-L
activations of its source towers (`<t>_bridge_concat`) and passes them through a Dense layer
(`<t>_bridge`) whose output replaces t's activation for the next layer. Sources are always the
pre-bridge activations, so every topology, loops included, is acyclic.

Topologies (`bridge_edges`):
- `all`: every tower reads every other tower (MS-Bridge's bidirectional bridge; the
  fully-connected single-objective towers of Table 6).
- `chain`: tower k+1 reads tower k, in the given order (Table 6 user→artist / artist→user).
- `chain_loop`: `chain` plus an edge from the last tower to the first (Table 6 "+Loop").
- `none`: no bridge.

Example:
>>> bridge_edges(["a", "b", "c"], "chain_loop")
{'a': ('c',), 'b': ('a',), 'c': ('b',)}
"""

from __future__ import annotations

from typing import Sequence

import keras

#: Tower layers a bridge may follow, bottom to top; `input` is each tower's own projection of
#: w_hat, `output` its objective logits.
BRIDGE_LOCATIONS = ("input", "bottom", "middle", "top", "output")
LOCATIONS = BRIDGE_LOCATIONS + ("none",)
TOPOLOGIES = ("all", "chain", "chain_loop", "none")


def bridge_edges(towers: Sequence[str], topology: str) -> dict[str, tuple[str, ...]]:
    """For each tower, the towers whose activations its bridge reads (in tower order)."""
    towers = list(towers)
    if len(set(towers)) != len(towers):
        raise ValueError(f"duplicate tower names {towers}")
    if topology not in TOPOLOGIES:
        raise ValueError(f"bridge topology {topology!r} not in {TOPOLOGIES}")
    if topology == "none" or len(towers) < 2:
        return {t: () for t in towers}
    if topology == "all":
        return {t: tuple(s for s in towers if s != t) for t in towers}
    edges = {t: ((towers[k - 1],) if k > 0 else ()) for k, t in enumerate(towers)}
    if topology == "chain_loop":
        edges[towers[0]] = (towers[-1],)
    return edges


def bridge(target: str, own, sources: Sequence, units: int, activation: str | None):
    """`Dense(units)(concat([own, *sources]))`, named `<target>_bridge`."""
    if not sources:
        raise ValueError(f"bridge of tower {target!r} needs at least one source tower")
    joined = keras.layers.Concatenate(name=f"{target}_bridge_concat")([own, *sources])
    return keras.layers.Dense(units, activation=activation, name=f"{target}_bridge")(joined)
