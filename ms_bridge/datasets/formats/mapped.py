"""Bring-your-own-data: any CSV, TSV or Parquet log plus a column mapping (format `csv`).

`mapping` is `{our_name: their_name}`. Our names:
- required: `user_id`, `item_id`, `artist_id`, `timestamp`;
- optional: `session_id` (else 5-minute sessions), `duration` (seconds),
  `play_time` (seconds watched/listened), `click` (0/1), `like`, `dislike`
  (0/1), `skip_1`, `skip_2`, `skip_3`, `not_skipped` (MSSD flags);
- any objective name of SPEC §14 (e.g. `feedback_type`): the dataset's own
  field, taken as is and range-checked.
Columns not in the mapping are kept under their own names (raw fields), except
columns named like one of ours (e.g. an unmapped `new_fan`), which are left out
and listed in `frame.attrs["report"]["ignored_columns"]`.

Objectives derived (`objectives=`): a list of SPEC §14 names, a DatasetSpec
name (its objectives; those with no field or rule are left unknown), or None
for everything the mapped columns allow (module `RULES`):
`new_fan`, `recurring_fan`, `num_times_listening` always; `pct_listening`
from the skip flags when mapped; `video_view`, `time_spent`, `play_rate` when
`click`, `play_time` and `duration` are mapped; `feedback_type` when `like`
or `dislike` is mapped; `relevance`, `novelty` when
`item_embeddings` are given. The Last.fm gap rule (`is_skip`, `is_finish`,
`pct_listening` from gaps between plays) is applied only when asked for, since
it assumes a scrobble log.

Ids are kept as read (text from CSV, the stored type from Parquet).

Example:
>>> frame = read("plays.csv", mapping={"user_id": "listener", "item_id": "song",
...                                    "artist_id": "band", "timestamp": "played_at"},
...              timestamp_format="iso")                                # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import pandas as pd

from ms_bridge.datasets.contract import DataContractError
from ms_bridge.datasets.formats import _common, _derive
from ms_bridge.datasets.spec import SPECS

REQUIRED = ("user_id", "item_id", "artist_id", "timestamp")
RAW_FIELDS = ("session_id", "duration", "play_time", "click", "like", "dislike") + (
    "skip_1", "skip_2", "skip_3", "not_skipped")
SKIP_FIELDS = ("skip_1", "skip_2", "skip_3", "not_skipped")
_DERIVED_HELPERS = ("has_history", "has_previous_session")
SPEC = None  # chosen by the caller (any registered DatasetSpec)

#: objective -> (rule, the mapped fields (our names) the rule needs)
RULES: dict[str, tuple[str, tuple[str, ...]]] = {
    "new_fan": ("fans", ()),
    "recurring_fan": ("fans", ()),
    "num_times_listening": ("num_times", ()),
    "is_skip": ("gaps", ()),
    "is_finish": ("gaps", ()),
    "video_view": ("views", ("click", "play_time", "duration")),
    "time_spent": ("views", ("click", "play_time", "duration")),
    "play_rate": ("views", ("click", "play_time", "duration")),
    "relevance": ("video", ()),
    "novelty": ("video", ()),
}


def _pct_rule(fields: set[str]) -> tuple[str, tuple[str, ...]]:
    return ("skips", SKIP_FIELDS) if set(SKIP_FIELDS) <= fields else ("gaps", ())


def _rule(name: str, fields: set[str], has_embeddings: bool) -> tuple[str | None, str]:
    """(rule, why not) for objective `name` given the mapped fields."""
    if name in fields:
        return "given", ""
    if name == "pct_listening":
        rule, needs = _pct_rule(fields)
    elif name == "feedback_type":
        if not {"like", "dislike"} & fields:
            return None, "'feedback_type' needs a mapped 'like' or 'dislike' column"
        rule, needs = "feedback", ()
    elif name in RULES:
        rule, needs = RULES[name]
    else:
        return None, f"no rule derives {name!r}; map a column to it"
    missing = [f for f in needs if f not in fields]
    if missing:
        return None, f"{name!r} needs mapped column(s) {missing}"
    if rule == "video" and not has_embeddings:
        return None, f"{name!r} needs item_embeddings"
    return rule, ""


def _default_objectives(fields: set[str], has_embeddings: bool) -> list[str]:
    names = [n for n in _common.OBJECTIVE_RANGES if n in fields]
    names += ["new_fan", "recurring_fan", "num_times_listening"]
    if set(SKIP_FIELDS) <= fields:
        names.append("pct_listening")
    if {"click", "play_time", "duration"} <= fields:
        names += list(_derive.VIEW_OBJECTIVES)
    if {"like", "dislike"} & fields and "feedback_type" not in fields:
        names.append("feedback_type")
    if has_embeddings:
        names += list(_derive.VIDEO_OBJECTIVES)
    return list(dict.fromkeys(names))


def _load(path: _common.PathLike) -> pd.DataFrame:
    return _common.read_table(path)


def read(path: _common.PathLike, mapping: Mapping[str, str], timestamp_format: str = "unix",
         objectives: Sequence[str] | str | None = None, item_embeddings: Any = None,
         session_gap: int = 300) -> pd.DataFrame:
    """Reads any CSV/TSV/Parquet log through a column mapping.

    Args:
        path: `.csv` (comma), `.tsv`/`.txt` (tab) or `.parquet`.
        mapping: {our_name: their_name}; must map the four required names.
        timestamp_format: `unix`, `unix_ms`, `iso` or a `strftime` pattern.
        objectives: names to derive, a DatasetSpec name, or None (module docstring).
        item_embeddings: optional item vectors for `relevance`/`novelty`.
        session_gap: seconds of inactivity that end a session when no
            `session_id` is mapped.

    Returns:
        the required columns, `session_id`, the mapped raw fields, the unmapped
        columns and the objectives; `frame.attrs["report"]["unknown"]` lists
        objectives of a requested spec that the file cannot give.
    """
    if not isinstance(mapping, Mapping) or not mapping:
        raise ValueError(f"mapping must be a non-empty {{our_name: their_name}} dict, got {mapping!r}")
    unknown = [k for k in mapping if k not in REQUIRED + RAW_FIELDS and k not in _common.OBJECTIVE_RANGES]
    if unknown:
        raise ValueError(f"mapping names {unknown} are not ours; allowed: {list(REQUIRED + RAW_FIELDS)} "
                         f"and the objective names {list(_common.OBJECTIVE_RANGES)}")
    missing = [k for k in REQUIRED if k not in mapping]
    if missing:
        raise ValueError(f"mapping must name {list(REQUIRED)}; missing {missing}")
    if session_gap <= 0:
        raise ValueError(f"session_gap must be positive, got {session_gap}")
    source = _common.source_name(path)
    raw = _load(path)
    _common.require(raw, list(mapping.values()), source)
    renamed = raw.rename(columns={theirs: ours for ours, theirs in mapping.items()})
    frame = pd.DataFrame(index=raw.index)
    for col in ("user_id", "item_id", "artist_id"):
        frame[col] = renamed[col]
    frame["timestamp"] = _common.parse_timestamps(renamed, "timestamp", timestamp_format, source)
    fields = set(mapping)
    if "session_id" in fields:
        frame["session_id"] = _common.parse_int(renamed, "session_id", source)
    for col in ("duration", "play_time", "click", "like", "dislike"):
        if col in fields:
            frame[col] = _common.parse_float(renamed, col, source)
    for col in SKIP_FIELDS:
        if col in fields:
            frame[col] = _common.parse_bool(renamed, col, source)
    given = [n for n in _common.OBJECTIVE_RANGES if n in fields]
    for name in given:
        frame[name] = _common.parse_float(renamed, name, source)
    # Unmapped columns are raw fields, except those named like ours: only the mapping says what those mean.
    reserved = set(REQUIRED + RAW_FIELDS) | set(_common.OBJECTIVE_RANGES) | set(_DERIVED_HELPERS)
    ignored = [c for c in raw.columns if c not in mapping.values() and c in reserved]
    for col in raw.columns:
        if col not in mapping.values() and col not in reserved:
            frame[col] = raw[col]
    if "click" in fields:
        bad = ~frame["click"].isin([0, 1]).to_numpy()
        if bad.any():
            raise DataContractError(source, mapping["click"], "flag must be 0 or 1", int(bad.sum()),
                                    raw.loc[bad, mapping["click"]].head(5).tolist())

    has_embeddings = item_embeddings is not None
    lenient = isinstance(objectives, str)
    if objectives is None:
        wanted = _default_objectives(fields, has_embeddings)
    elif isinstance(objectives, str):
        if objectives not in SPECS:
            raise ValueError(f"objectives {objectives!r} is not a DatasetSpec; known: {sorted(SPECS)}")
        wanted = list(SPECS[objectives].objective_names)
    else:
        wanted = list(dict.fromkeys(objectives))
        bad_names = [n for n in wanted if n not in _common.OBJECTIVE_RANGES]
        if bad_names:
            raise ValueError(f"unknown objective names {bad_names}; known: {list(_common.OBJECTIVE_RANGES)}")
    rules: dict[str, str] = {}
    unknown_objectives = []
    for name in wanted:
        rule, why = _rule(name, fields, has_embeddings)
        if rule is None and not lenient:
            raise ValueError(f"cannot derive objective: {why}")
        if rule is None:
            unknown_objectives.append(name)
        else:
            rules[name] = rule

    _common.finish(frame, source, given)
    frame = _common.stable_time_order(frame)
    frame = _derive.sessions(frame, session_gap)
    needed = set(rules.values())
    kept = {name: frame[name].to_numpy() for name in given}
    derived: set[str] = set()
    if "gaps" in needed:
        durations = None
        if "duration" in fields:
            durations = frame.groupby("item_id", sort=False)["duration"].first().dropna()
            durations = durations[durations > 0]
        _derive.gaps(frame, durations if durations is not None and len(durations) else None)
        derived |= set(_derive.GAP_OBJECTIVES)
    if "skips" in needed:
        _derive.mssd_listening(frame)
        derived.add("pct_listening")
    if "fans" in needed:
        _derive.fans(frame)
        derived |= set(_derive.FAN_OBJECTIVES)
    if "num_times" in needed:
        _derive.num_times(frame)
        derived.add("num_times_listening")
    if "views" in needed:
        views = _derive.view_objectives(frame["click"], frame["play_time"], frame["duration"])
        _common.set_objectives(frame, views, _derive.VIEW_OBJECTIVES)
        derived |= set(_derive.VIEW_OBJECTIVES)
    if "feedback" in needed:
        _derive.feedback(frame)
        derived.add("feedback_type")
    if "video" in needed:
        _derive.video(frame, _common.load_embeddings(item_embeddings))
        derived |= set(_derive.VIDEO_OBJECTIVES)
    # A rule computes its whole group: the file's own fields win, and only what was asked for stays.
    for name, values in kept.items():
        frame[name] = values
    drop = [c for c in derived if c not in wanted and c not in given]
    frame = frame.drop(columns=drop)
    frame.attrs["report"] = {"rules": rules, "unknown": unknown_objectives, "ignored_columns": ignored}
    return _common.finish(frame, source, list(dict.fromkeys(given + wanted)))
