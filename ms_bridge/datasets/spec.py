"""Dataset declarations: stakeholders, their objectives, kinds and scaling.

A `DatasetSpec` is the single source of truth that the objectives module,
preprocessing, models, metrics and aggregation read to know what a dataset
predicts. The four specs of the paper are registered in `SPECS`.

Example:
>>> spec = get_spec("spotify")
>>> spec.objective_names
('pct_listening', 'num_times_listening', 'feedback_type', 'in_playlist', 'new_fan', 'recurring_fan')
>>> [o.name for o in spec.objectives_of("artist")]
['new_fan', 'recurring_fan']
"""

from __future__ import annotations

import dataclasses
from typing import Iterable

KINDS = ("binary", "bounded", "ternary", "count", "nonneg")
SCALINGS = ("identity", "ternary", "q99", "log1p_q99")
SPLITS = ("spotify_days", "sessions_weeks", "time_80_20", "random_72_14_14")


@dataclasses.dataclass(frozen=True)
class ObjectiveSpec:
    """One per-interaction outcome valued by one stakeholder.

    Attributes:
        name: column name in the interaction table (SPEC §14).
        stakeholder: the stakeholder that values it (e.g. "user", "artist").
        kind: one of `KINDS`; fixes the raw value range checked on input.
        scaling: how raw values map to [0, 1]; `None` picks the kind's default
            (binary/bounded: identity, ternary: (y+1)/2, count/nonneg: q99).
        label: human-readable name for tables.
    """

    name: str
    stakeholder: str
    kind: str
    scaling: str | None = None
    label: str = ""

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"objective {self.name!r}: kind {self.kind!r} not in {KINDS}")
        if self.scaling is None:
            default = {"binary": "identity", "bounded": "identity", "ternary": "ternary",
                       "count": "q99", "nonneg": "q99"}[self.kind]
            object.__setattr__(self, "scaling", default)
        if self.scaling not in SCALINGS:
            raise ValueError(f"objective {self.name!r}: scaling {self.scaling!r} not in {SCALINGS}")
        if self.kind in ("binary", "bounded") and self.scaling != "identity":
            raise ValueError(f"objective {self.name!r}: a {self.kind} objective is already in [0,1]")
        if not self.label:
            object.__setattr__(self, "label", self.name)

    @property
    def raw_range(self) -> tuple[float, float]:
        """Closed interval that raw (unscaled) values must lie in."""
        return {"binary": (0.0, 1.0), "bounded": (0.0, 1.0), "ternary": (-1.0, 1.0),
                "count": (0.0, float("inf")), "nonneg": (0.0, float("inf"))}[self.kind]


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
    """Declaration of a dataset for multi-stakeholder recommendation.

    Attributes:
        name: registry key.
        stakeholders: ordered stakeholder names, at least two.
        objectives: objectives in table order; each names one stakeholder.
        engagement: the user objective used to rank items for ground truth
            (ordinal weights, Task 3 relevance).
        positive_rule: (objective, threshold) — an interaction counts as
            positively consumed when the raw objective is >= threshold.
        split: default split, one of `SPLITS`.
        kcore: minimum interactions per user and per item (0 disables).
        side_features: names of dense side-feature columns models may read.
    """

    name: str
    stakeholders: tuple[str, ...]
    objectives: tuple[ObjectiveSpec, ...]
    engagement: str
    positive_rule: tuple[str, float]
    split: str = "time_80_20"
    kcore: int = 5
    side_features: tuple[str, ...] = ()

    def __post_init__(self):
        if len(self.stakeholders) < 2:
            raise ValueError(f"dataset {self.name!r}: needs at least 2 stakeholders, got {self.stakeholders}")
        if len(set(self.stakeholders)) != len(self.stakeholders):
            raise ValueError(f"dataset {self.name!r}: duplicate stakeholders {self.stakeholders}")
        names = [o.name for o in self.objectives]
        if len(set(names)) != len(names):
            raise ValueError(f"dataset {self.name!r}: duplicate objectives {names}")
        for s in self.stakeholders:
            if not any(o.stakeholder == s for o in self.objectives):
                raise ValueError(f"dataset {self.name!r}: stakeholder {s!r} has no objective")
        for o in self.objectives:
            if o.stakeholder not in self.stakeholders:
                raise ValueError(f"objective {o.name!r}: stakeholder {o.stakeholder!r} not in {self.stakeholders}")
        if self.engagement not in names:
            raise ValueError(f"dataset {self.name!r}: engagement {self.engagement!r} not an objective")
        if self.positive_rule[0] not in names:
            raise ValueError(f"dataset {self.name!r}: positive rule on unknown objective {self.positive_rule[0]!r}")
        if self.split not in SPLITS:
            raise ValueError(f"dataset {self.name!r}: split {self.split!r} not in {SPLITS}")

    @property
    def objective_names(self) -> tuple[str, ...]:
        return tuple(o.name for o in self.objectives)

    def objective(self, name: str) -> ObjectiveSpec:
        for o in self.objectives:
            if o.name == name:
                return o
        raise ValueError(f"dataset {self.name!r} has no objective {name!r}; it has {self.objective_names}")

    def objectives_of(self, stakeholder: str) -> tuple[ObjectiveSpec, ...]:
        if stakeholder not in self.stakeholders:
            raise ValueError(f"dataset {self.name!r} has no stakeholder {stakeholder!r}; it has {self.stakeholders}")
        return tuple(o for o in self.objectives if o.stakeholder == stakeholder)

    def stakeholder_index(self) -> list[int]:
        """Index into `stakeholders` of each objective, in objective order."""
        return [self.stakeholders.index(o.stakeholder) for o in self.objectives]

    def with_objectives(self, objectives: Iterable[ObjectiveSpec], **changes) -> "DatasetSpec":
        """A copy with another objective set (e.g. Appendix E.5 artist objectives)."""
        return dataclasses.replace(self, objectives=tuple(objectives), **changes)



_ARTIST_FANS = (
    ObjectiveSpec("new_fan", "artist", "bounded", label="New Fan"),
    ObjectiveSpec("recurring_fan", "artist", "bounded", label="Recurring Fan"),
)
_SPOTIFY_USER = (
    ObjectiveSpec("pct_listening", "user", "bounded", label="% Listening"),
    ObjectiveSpec("num_times_listening", "user", "count", label="Num Listening"),
    ObjectiveSpec("feedback_type", "user", "ternary", label="Feedback Type"),
    ObjectiveSpec("in_playlist", "user", "binary", label="In Playlist"),
)

SPECS: dict[str, DatasetSpec] = {
    "spotify": DatasetSpec(
        name="spotify", stakeholders=("user", "artist"), objectives=_SPOTIFY_USER + _ARTIST_FANS,
        engagement="pct_listening", positive_rule=("pct_listening", 0.5), split="spotify_days", kcore=5),
    "spotify_sessions": DatasetSpec(
        name="spotify_sessions", stakeholders=("user", "artist"), objectives=_SPOTIFY_USER + _ARTIST_FANS,
        engagement="pct_listening", positive_rule=("pct_listening", 0.5), split="sessions_weeks", kcore=5),
    "mlhd": DatasetSpec(
        name="mlhd", stakeholders=("user", "artist"),
        objectives=(
            ObjectiveSpec("pct_listening", "user", "bounded", label="% Listening"),
            ObjectiveSpec("is_finish", "user", "binary", label="IsFinish"),
            ObjectiveSpec("is_skip", "user", "binary", label="IsSkip"),
        ) + _ARTIST_FANS,
        engagement="pct_listening", positive_rule=("pct_listening", 0.5), split="time_80_20", kcore=5),
    "youku": DatasetSpec(
        name="youku", stakeholders=("user", "artist"),
        objectives=(
            ObjectiveSpec("video_view", "user", "binary", label="Video View"),
            ObjectiveSpec("time_spent", "user", "nonneg", scaling="log1p_q99", label="Time Spent"),
            ObjectiveSpec("play_rate", "user", "bounded", label="Play Rate"),
            ObjectiveSpec("relevance", "artist", "bounded", label="Relevance"),
            ObjectiveSpec("novelty", "artist", "nonneg", label="Novelty"),
        ),
        engagement="play_rate", positive_rule=("video_view", 1.0), split="time_80_20", kcore=0),
}

#: Appendix E.5 alternative artist objectives, usable with `DatasetSpec.with_objectives`.
ALTERNATIVE_ARTIST_OBJECTIVES = (
    ObjectiveSpec("consumption_diversity", "artist", "nonneg", label="Consumption Diversity"),
    ObjectiveSpec("session_similarity", "artist", "bounded", label="Session Similarity"),
)


def get_spec(name: str) -> DatasetSpec:
    """Returns the registered spec `name`; raises ValueError listing the known ones."""
    if name not in SPECS:
        raise ValueError(f"unknown dataset {name!r}; known: {sorted(SPECS)}")
    return SPECS[name]


def register_spec(spec: DatasetSpec) -> DatasetSpec:
    """Adds a user-defined spec (bring-your-own-data, any number of stakeholders)."""
    SPECS[spec.name] = spec
    return spec
