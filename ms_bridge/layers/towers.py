"""Towers: one per stakeholder (MS-Bridge) or per objective (Table 6), run in lockstep.

Each tower reads w_hat through five Dense layers, `<tower>_input`, `<tower>_bottom`,
`<tower>_middle`, `<tower>_top` (activation, default ReLU) and `<tower>_output` (linear, one
unit per objective of the tower: the objective logits), then one sigmoid head per objective,
`Dense(1)` named after the objective's column. `<tower>_top` is the last hidden layer, whose
width is the paper's "predictive factors". The five layers are the five bridge locations of
Table 7 (and the "five hidden layers" of Appendix B); which location is bridged changes only
where the `<tower>_bridge` layers sit, never the tower's layers.

Example:
>>> import keras
>>> w = keras.Input((8,))
>>> t = TowerSpec("user", "user", ("click",), (8, 8, 4, 2))
>>> sorted(build_towers(w, [t], bridge_location="none", edges={"user": ()}))
['click']
"""

from __future__ import annotations

import dataclasses
from typing import Mapping, Sequence

import keras

from ms_bridge.layers.bridge import BRIDGE_LOCATIONS, LOCATIONS, bridge

HIDDEN_LAYERS = ("input", "bottom", "middle", "top")


@dataclasses.dataclass(frozen=True)
class TowerSpec:
    """One tower.

    Attributes:
        name: layer-name prefix (a stakeholder, or an objective for single-objective towers).
        stakeholder: the stakeholder whose objectives it predicts.
        objectives: objective columns it predicts (one head each), in spec order.
        units: widths of `input`, `bottom`, `middle`, `top`.
    """

    name: str
    stakeholder: str
    objectives: tuple[str, ...]
    units: tuple[int, int, int, int]

    def __post_init__(self):
        if not self.objectives:
            raise ValueError(f"tower {self.name!r} has no objective")
        units = tuple(self.units)
        if len(units) != 4 or any(not isinstance(u, int) or u < 1 for u in units):
            raise ValueError(f"tower {self.name!r}: units must be 4 positive ints "
                             f"(input, bottom, middle, top), got {self.units!r}")
        object.__setattr__(self, "units", units)

    def width(self, location: str) -> int:
        """Width of the tower's layer at `location`."""
        if location == "output":
            return len(self.objectives)
        return self.units[HIDDEN_LAYERS.index(location)]


def build_towers(w_hat, towers: Sequence[TowerSpec], *, bridge_location: str = "middle",
                 edges: Mapping[str, Sequence[str]], activation: str = "relu") -> dict:
    """Stacks the towers on w_hat with bridges at `bridge_location`; returns {objective: head}.

    Args:
        w_hat: the backbone's shared representation (batch, d).
        towers: tower specs; names must be unique.
        bridge_location: one of `LOCATIONS`.
        edges: {tower: source towers} from `bridge_edges`.
        activation: hidden activation (also of bridges after hidden layers; a bridge after
            `output` is linear, like the logits it mixes).
    """
    if bridge_location not in LOCATIONS:
        raise ValueError(f"bridge location {bridge_location!r} not in {LOCATIONS}")
    names = [t.name for t in towers]
    unknown = {s for t in names for s in edges.get(t, ())} - set(names)
    if unknown:
        raise ValueError(f"bridge edges name unknown towers {sorted(unknown)}; towers: {names}")
    state = {t.name: w_hat for t in towers}
    for location in BRIDGE_LOCATIONS:
        act = None if location == "output" else activation
        state = {t.name: keras.layers.Dense(t.width(location), activation=act,
                                            name=f"{t.name}_{location}")(state[t.name])
                 for t in towers}
        if location == bridge_location:
            state = {t.name: (bridge(t.name, state[t.name], [state[s] for s in edges[t.name]],
                                     t.width(location), None if location == "output" else activation)
                              if edges.get(t.name) else state[t.name])
                     for t in towers}
    return {objective: keras.layers.Dense(1, activation="sigmoid", name=objective)(state[t.name])
            for t in towers for objective in t.objectives}
