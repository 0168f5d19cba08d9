"""Preprocessing: k-core filtering, splits, id maps, objective scaling, history.

`prepare` runs the whole chain of SPEC §6 on a validated interaction table:
contract validation -> sessions (when absent) -> k-core -> split -> id maps fit
on train -> objective scaling fit on train -> transform every split. Every
filter reports how many rows it removed; nothing is dropped silently.

Example:
>>> import pandas as pd
>>> frame = pd.DataFrame({"user_id": ["a", "a", "b"], "item_id": [1, 2, 1],
...                       "artist_id": [7, 7, 7], "timestamp": [0, 10, 20]})
>>> kept, report = kcore_filter(frame, k=2)
>>> len(kept), report["rows_removed"]
(0, 3)
>>> IdMap.fit(frame["user_id"], name="user_id").transform(["b", "zz"]).tolist()
[2, 0]
"""

from __future__ import annotations

import dataclasses
import json
import warnings
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from ms_bridge.datasets.contract import ID_COLUMNS, DataContractError, validate_interactions
from ms_bridge.datasets.spec import SPLITS, DatasetSpec, ObjectiveSpec

SECONDS_PER_DAY = 86400
SPLIT_NAMES = ("train", "val", "test")
#: label used by `split_labels` for rows that fall outside every split's window
OUTSIDE = -1

_SPLIT_DEFAULTS: dict[str, dict[str, Any]] = {
    "spotify_days": {"train_days": 5, "val_days": 1, "test_days": 1, "keep_sessions": False},
    "sessions_weeks": {"train_days": 21, "val_days": 1, "test_days": 7, "keep_sessions": True},
    "time_80_20": {"test_fraction": 0.2, "val_fraction": 0.125},
    "random_72_14_14": {"seed": 0, "train_fraction": 0.72, "val_fraction": 0.14},
}


# --------------------------------------------------------------------------- k-core
def kcore_filter(frame: pd.DataFrame, k: int, columns: Sequence[str] = ("user_id", "item_id")
                 ) -> tuple[pd.DataFrame, dict]:
    """Keeps the rows whose every entity in `columns` has at least `k` rows, to a fixed point.

    Each pass counts every column on the rows still kept and removes rows where
    any count is below `k`; passes repeat until none is removed (removing items
    can push a user below `k`, and so on). `k = 0` (or 1) keeps everything.

    Args:
        frame: interaction table.
        k: minimum rows per entity; 0 disables the filter.
        columns: entity columns that must each reach `k`.

    Returns:
        `(kept_rows, report)`; the report has `rows_in`, `rows_out`,
        `rows_removed` and `passes` (one dict per pass with `removed` and
        `below_k`, the rows failing each column's count; they may overlap).

    Example:
    >>> f = pd.DataFrame({"user_id": [1, 1, 2], "item_id": [5, 5, 5]})
    >>> kcore_filter(f, 2)[1]["rows_removed"]
    1
    """
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 0:
        raise ValueError(f"k must be a non-negative integer, got {k!r}")
    columns = tuple(columns)
    missing = [c for c in columns if c not in frame.columns]
    if not columns or missing:
        raise ValueError(f"k-core columns {list(columns)} not all in the frame (missing {missing})")
    report: dict[str, Any] = {"k": int(k), "columns": list(columns), "rows_in": len(frame), "passes": []}
    keep = np.ones(len(frame), dtype=bool)
    if k > 1 and len(frame):
        codes = [pd.factorize(frame[c])[0] for c in columns]
        while True:
            bad = {}
            drop = np.zeros(len(frame), dtype=bool)
            for name, code in zip(columns, codes):
                counts = np.bincount(code[keep], minlength=code.max() + 1)
                low = keep & (counts[code] < k)
                bad[name] = int(low.sum())
                drop |= low
            removed = int(drop.sum())
            if removed == 0:
                break
            keep &= ~drop
            report["passes"].append({"pass": len(report["passes"]) + 1, "removed": removed, "below_k": bad})
    kept = frame[keep]
    report["rows_out"] = len(kept)
    report["rows_removed"] = len(frame) - len(kept)
    return kept, report


def kcore_complement(frame: pd.DataFrame, k: int, columns: Sequence[str] = ("user_id", "item_id")
                     ) -> pd.DataFrame:
    """The rows that `kcore_filter` removes: the paper's long-tail records (Appendix E.1).

    Example:
    >>> f = pd.DataFrame({"user_id": [1, 1, 2], "item_id": [5, 5, 5]})
    >>> kcore_complement(f, 2)["user_id"].tolist()
    [2]
    """
    if not frame.index.is_unique:
        raise ValueError("kcore_complement needs a frame with a unique index")
    kept, _ = kcore_filter(frame, k, columns)
    return frame[~frame.index.isin(kept.index)]


def long_tail_subset(frame: pd.DataFrame, by: str, quantile: float) -> pd.DataFrame:
    """Rows whose `by` entity has an interaction count at or below the `quantile` of counts.

    Counts are taken per entity (e.g. per artist) over `frame`; the threshold is
    `np.quantile(counts, quantile)` over entities (linear interpolation).

    Example:
    >>> f = pd.DataFrame({"artist_id": [1, 1, 1, 2, 3]})
    >>> long_tail_subset(f, "artist_id", 0.5)["artist_id"].tolist()
    [2, 3]
    """
    if by not in frame.columns:
        raise ValueError(f"long_tail_subset: column {by!r} not in the frame")
    if not 0.0 <= quantile <= 1.0:
        raise ValueError(f"quantile must be in [0, 1], got {quantile!r}")
    counts = frame.groupby(by, sort=False)[by].transform("size").to_numpy()
    per_entity = frame[by].value_counts().to_numpy()
    return frame[counts <= np.quantile(per_entity, quantile)]


def window_subset(frame: pd.DataFrame, days: int, start_day: int = 0) -> pd.DataFrame:
    """Rows whose UTC day (counted from the first timestamp's UTC date) is in [start_day, start_day + days).

    Example:
    >>> f = pd.DataFrame({"timestamp": [0, 86400, 2 * 86400]})
    >>> window_subset(f, days=2)["timestamp"].tolist()
    [0, 86400]
    """
    if days < 1 or start_day < 0:
        raise ValueError(f"window needs days >= 1 and start_day >= 0, got days={days!r}, start_day={start_day!r}")
    day = day_index(frame["timestamp"])
    return frame[(day >= start_day) & (day < start_day + days)]


# --------------------------------------------------------------------------- splits
def day_index(timestamps: pd.Series | np.ndarray) -> np.ndarray:
    """UTC day number of each timestamp, counted from the first timestamp's UTC date (day 0)."""
    days = np.asarray(timestamps, dtype=np.int64) // SECONDS_PER_DAY
    return days - days.min()


def _time_order(frame: pd.DataFrame) -> np.ndarray:
    return np.argsort(frame["timestamp"].to_numpy(dtype=np.int64), kind="stable")


def _session_first_label(frame: pd.DataFrame, labels: np.ndarray) -> np.ndarray:
    """Gives every row the label of its session's first row (by time, then row order)."""
    if "session_id" not in frame.columns:
        raise ValueError("keep_sessions=True needs a 'session_id' column (prepare assigns one)")
    order = _time_order(frame)
    key = pd.MultiIndex.from_arrays([frame["user_id"].to_numpy()[order], frame["session_id"].to_numpy()[order]])
    codes = pd.factorize(key)[0]
    first = np.full(codes.max() + 1, OUTSIDE, dtype=np.int8)
    # reversed assignment leaves each session's earliest label in place
    first[codes[::-1]] = labels[order][::-1]
    out = np.empty_like(labels)
    out[order] = first[codes]
    return out


def _check_options(method: str, options: Mapping[str, Any]) -> dict[str, Any]:
    if method not in _SPLIT_DEFAULTS:
        raise ValueError(f"unknown split method {method!r}; known: {list(SPLITS)}")
    unknown = sorted(set(options) - set(_SPLIT_DEFAULTS[method]))
    if unknown:
        raise ValueError(f"split {method!r} has no option(s) {unknown}; it takes {sorted(_SPLIT_DEFAULTS[method])}")
    return {**_SPLIT_DEFAULTS[method], **options}


def split_labels(frame: pd.DataFrame, method: str, **options) -> np.ndarray:
    """Split label per row: 0 train, 1 val, 2 test, -1 outside every window.

    Methods (SPEC §6) and their options (defaults in brackets):
      - `spotify_days`: UTC days from the first timestamp's date; train days
        [0, train_days) [5], val the next `val_days` [1], test the next
        `test_days` [1]; later days are outside. E.2 windows: `train_days=6,
        val_days=0` (longer) or `train_days=4, val_days=2` (shorter).
      - `sessions_weeks`: the same with [21, 1, 7] and `keep_sessions` [True]:
        a session goes whole to the split of its first event's day.
      - `time_80_20`: rows in (timestamp, row order); the first
        `floor(n * (1 - test_fraction))` [0.2] are train+val, of which the last
        `floor(. * val_fraction)` [0.125] are val; the rest test.
      - `random_72_14_14`: a seeded [0] permutation; `floor(0.72 n)` train,
        `floor(0.14 n)` val, the rest test.

    Example:
    >>> f = pd.DataFrame({"timestamp": [0, 86400 * 5, 86400 * 6, 86400 * 7]})
    >>> split_labels(f, "spotify_days").tolist()
    [0, 1, 2, -1]
    """
    opts = _check_options(method, options)
    n = len(frame)
    if method in ("spotify_days", "sessions_weeks"):
        tr, va, te = (int(opts[k]) for k in ("train_days", "val_days", "test_days"))
        if tr < 1 or va < 0 or te < 1:
            raise ValueError(f"split {method!r}: need train_days >= 1, val_days >= 0, test_days >= 1; "
                             f"got {tr}, {va}, {te}")
        day = day_index(frame["timestamp"])
        labels = np.select([day < tr, day < tr + va, day < tr + va + te], [0, 1, 2], OUTSIDE).astype(np.int8)
        if opts["keep_sessions"]:
            labels = _session_first_label(frame, labels)
        return labels
    labels = np.empty(n, dtype=np.int8)
    if method == "time_80_20":
        test_fraction, val_fraction = float(opts["test_fraction"]), float(opts["val_fraction"])
        if not (0 < test_fraction < 1 and 0 <= val_fraction < 1):
            raise ValueError(f"time_80_20: test_fraction in (0,1) and val_fraction in [0,1) needed, "
                             f"got {test_fraction!r}, {val_fraction!r}")
        n_trval = int(np.floor(n * (1 - test_fraction) + 1e-9))
        n_val = int(np.floor(n_trval * val_fraction + 1e-9))
        position = np.empty(n, dtype=np.int64)
        position[_time_order(frame)] = np.arange(n)
    else:
        train_fraction, val_fraction = float(opts["train_fraction"]), float(opts["val_fraction"])
        if not (0 < train_fraction and 0 <= val_fraction and train_fraction + val_fraction < 1):
            raise ValueError(f"random split: fractions {train_fraction!r}, {val_fraction!r} leave no test rows")
        n_train = int(np.floor(n * train_fraction + 1e-9))
        n_val = int(np.floor(n * val_fraction + 1e-9))
        n_trval = n_train + n_val
        position = np.empty(n, dtype=np.int64)
        position[np.random.default_rng(int(opts["seed"])).permutation(n)] = np.arange(n)
    labels[:] = 2
    labels[position < n_trval] = 1
    labels[position < n_trval - n_val] = 0
    return labels


def split_frame(frame: pd.DataFrame, method: str, **options) -> dict[str, pd.DataFrame]:
    """Splits `frame` into `{"train", "val", "test"}` by `method` (see `split_labels`).

    Rows keep the input's order and index; rows outside every window (day
    splits only) are in none of the three (`split_labels` counts them).

    Example:
    >>> f = pd.DataFrame({"timestamp": list(range(10))})
    >>> {k: len(v) for k, v in split_frame(f, "time_80_20").items()}
    {'train': 7, 'val': 1, 'test': 2}
    """
    labels = split_labels(frame, method, **options)
    return {name: frame[labels == i] for i, name in enumerate(SPLIT_NAMES)}


# --------------------------------------------------------------------------- id maps
def _as_array(values: Iterable) -> np.ndarray:
    if isinstance(values, (pd.Series, pd.Index)):
        return values.to_numpy()
    if isinstance(values, np.ndarray):
        return values
    return pd.Index(list(values)).to_numpy()


class IdMap:
    """Contiguous indices for raw ids: 0 = out of vocabulary, known ids 1..n.

    Ids are sorted when they are mutually comparable, else kept in order of
    first appearance, so the map does not depend on row order.

    Example:
    >>> m = IdMap.fit(["b", "a", "b"], name="user_id")
    >>> m.transform(["a", "b", "c"]).tolist(), m.size
    ([1, 2, 0], 3)
    >>> IdMap.from_config(m.get_config()).inverse_transform([2, 0]).tolist()
    ['b', None]
    """

    def __init__(self, ids: Iterable, name: str = ""):
        index = pd.Index(_as_array(ids))
        if index.hasnans:
            raise ValueError(f"IdMap {name!r}: ids contain NaN")
        if not index.is_unique:
            raise ValueError(f"IdMap {name!r}: ids are not unique, e.g. {index[index.duplicated()][:5].tolist()}")
        self.name = name
        self._index = index

    @classmethod
    def fit(cls, values: Iterable, name: str = "") -> "IdMap":
        """Builds the map from the distinct values (typically the training split's column)."""
        unique = pd.Index(pd.unique(_as_array(values)))
        try:
            unique = unique.sort_values()
        except TypeError:
            pass
        return cls(unique, name=name)

    @property
    def size(self) -> int:
        """Number of indices including the out-of-vocabulary index 0 (= n + 1)."""
        return len(self._index) + 1

    @property
    def ids(self) -> list:
        """Known raw ids; id `ids[i]` has index `i + 1`."""
        return self._index.tolist()

    def transform(self, values: Iterable) -> np.ndarray:
        """int32 indices; ids never seen in `fit` map to 0."""
        return (self._index.get_indexer(_as_array(values)) + 1).astype(np.int32)

    def inverse_transform(self, indices: Iterable[int]) -> np.ndarray:
        """Raw ids (object array) for indices; 0 gives None."""
        indices = np.asarray(indices, dtype=np.int64)
        if indices.size and (indices.min() < 0 or indices.max() >= self.size):
            raise ValueError(f"IdMap {self.name!r}: indices must be in [0, {self.size}), got {indices.min()}..{indices.max()}")
        table = np.empty(self.size, dtype=object)
        table[0] = None
        table[1:] = self._index.to_numpy(dtype=object)
        return table[indices]

    def get_config(self) -> dict:
        return {"name": self.name, "ids": self._index.tolist()}

    @classmethod
    def from_config(cls, config: Mapping) -> "IdMap":
        return cls(config["ids"], name=config.get("name", ""))

    def to_json(self) -> str:
        return json.dumps(self.get_config())

    @classmethod
    def from_json(cls, text: str) -> "IdMap":
        return cls.from_config(json.loads(text))

    def __repr__(self) -> str:
        return f"IdMap(name={self.name!r}, size={self.size})"


# --------------------------------------------------------------------------- scaling
class ObjectiveScaler:
    """Maps raw objectives to [0, 1] with training-split statistics (SPEC §2).

    binary/bounded: identity; ternary: (y + 1) / 2; count/nonneg `q99`:
    min(y / q99, 1); `log1p_q99`: min(log1p(y) / q99, 1) with q99 taken on
    log1p(y). q99 is `np.quantile` (linear) over the known training values.
    When q99 <= 0 the training maximum is used instead, and 1.0 when that is 0
    too or no value is known (`fallbacks` says which). NaN stays NaN.

    Example:
    >>> from ms_bridge.datasets.spec import ObjectiveSpec
    >>> s = ObjectiveScaler([ObjectiveSpec("n", "user", "count"), ObjectiveSpec("f", "user", "ternary")])
    >>> s = s.fit(pd.DataFrame({"n": [0.0] * 50 + [2.0] * 50, "f": [0.0] * 100}))
    >>> s.transform(pd.DataFrame({"n": [1.0, 4.0, np.nan], "f": [-1.0, 0.0, 1.0]})).round(2).to_dict("list")
    {'n': [0.5, 1.0, nan], 'f': [0.0, 0.5, 1.0]}
    """

    def __init__(self, spec: DatasetSpec | Iterable[ObjectiveSpec]):
        self.objectives = tuple(spec.objectives if isinstance(spec, DatasetSpec) else spec)
        if not self.objectives:
            raise ValueError("ObjectiveScaler needs at least one objective")
        self.q99: dict[str, float] = {}
        self.fallbacks: dict[str, str] = {}
        self.fitted = False

    def _needs_stats(self, o: ObjectiveSpec) -> bool:
        return o.scaling in ("q99", "log1p_q99")

    def fit(self, frame: pd.DataFrame) -> "ObjectiveScaler":
        """Takes q99 of every count/nonneg objective from `frame` (the training split only)."""
        for o in self.objectives:
            if not self._needs_stats(o):
                continue
            if o.name not in frame.columns:
                raise ValueError(f"ObjectiveScaler.fit: objective column {o.name!r} not in the frame")
            y = frame[o.name].to_numpy(dtype=np.float64)
            y = y[~np.isnan(y)]
            if o.scaling == "log1p_q99":
                y = np.log1p(y)
            q = float(np.quantile(y, 0.99)) if y.size else float("nan")
            if y.size == 0:
                q, self.fallbacks[o.name] = 1.0, "no_known_training_values"
            elif q <= 0:
                top = float(y.max())
                q, self.fallbacks[o.name] = (top, "max") if top > 0 else (1.0, "all_zero")
            self.q99[o.name] = q
        self.fitted = True
        return self

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """A copy of `frame` whose objective columns (those present) are scaled float32."""
        if not self.fitted:
            raise ValueError("ObjectiveScaler.transform called before fit")
        out = frame.copy()
        for o in self.objectives:
            if o.name not in out.columns:
                continue
            y = out[o.name].to_numpy(dtype=np.float64)
            if o.scaling == "ternary":
                y = (y + 1.0) / 2.0
            elif o.scaling == "q99":
                y = np.minimum(y / self.q99[o.name], 1.0)
            elif o.scaling == "log1p_q99":
                y = np.minimum(np.log1p(y) / self.q99[o.name], 1.0)
            out[o.name] = y.astype(np.float32)
        return out

    def inverse_transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Raw values back from scaled ones (float64). A clipped value (1.0) returns q99, a lower bound."""
        if not self.fitted:
            raise ValueError("ObjectiveScaler.inverse_transform called before fit")
        out = frame.copy()
        for o in self.objectives:
            if o.name not in out.columns:
                continue
            s = out[o.name].to_numpy(dtype=np.float64)
            if o.scaling == "ternary":
                s = 2.0 * s - 1.0
            elif o.scaling == "q99":
                s = s * self.q99[o.name]
            elif o.scaling == "log1p_q99":
                s = np.expm1(s * self.q99[o.name])
            out[o.name] = s
        return out

    def get_config(self) -> dict:
        return {"objectives": [dataclasses.asdict(o) for o in self.objectives],
                "q99": dict(self.q99), "fallbacks": dict(self.fallbacks), "fitted": self.fitted}

    @classmethod
    def from_config(cls, config: Mapping) -> "ObjectiveScaler":
        scaler = cls([ObjectiveSpec(**o) for o in config["objectives"]])
        scaler.q99 = {k: float(v) for k, v in config["q99"].items()}
        scaler.fallbacks = dict(config.get("fallbacks", {}))
        scaler.fitted = bool(config.get("fitted", True))
        return scaler

    def to_json(self) -> str:
        return json.dumps(self.get_config())

    @classmethod
    def from_json(cls, text: str) -> "ObjectiveScaler":
        return cls.from_config(json.loads(text))


# --------------------------------------------------------------------------- history
def recent_items_matrix(frame: pd.DataFrame, length: int, item_column: str = "item_idx",
                        user_column: str = "user_id") -> np.ndarray:
    """(n, length) int32: each row's user's previous `length` items, most recent last, 0-padded.

    "Previous" is by (timestamp, row order); the row's own item is never included.
    """
    if length < 1:
        raise ValueError(f"history length must be >= 1, got {length!r}")
    for col in (item_column, user_column, "timestamp"):
        if col not in frame.columns:
            raise ValueError(f"recent items need column {col!r}; frame has {list(frame.columns)}")
    n = len(frame)
    users = pd.factorize(frame[user_column])[0]
    order = np.lexsort((np.arange(n), frame["timestamp"].to_numpy(dtype=np.int64), users))
    u, items = users[order], frame[item_column].to_numpy(dtype=np.int32)[order]
    sorted_hist = np.zeros((n, length), dtype=np.int32)
    for lag in range(1, length + 1):
        same = np.zeros(n, dtype=bool)
        same[lag:] = u[lag:] == u[:-lag]
        col = np.zeros(n, dtype=np.int32)
        col[lag:] = items[:-lag]
        sorted_hist[:, length - lag] = np.where(same, col, 0)
    out = np.empty_like(sorted_hist)
    out[order] = sorted_hist
    return out


def add_recent_items(frame: pd.DataFrame, length: int, item_column: str = "item_idx",
                     user_column: str = "user_id") -> pd.DataFrame:
    """A copy of `frame` with a `recent_items` column of int32 arrays (see `recent_items_matrix`).

    Run it on the full ordered log before splitting so test rows see their train history.

    Example:
    >>> f = pd.DataFrame({"user_id": [1, 1, 1], "item_idx": [4, 5, 6], "timestamp": [0, 1, 2]})
    >>> add_recent_items(f, 2)["recent_items"].map(np.ndarray.tolist).tolist()
    [[0, 0], [0, 4], [4, 5]]
    """
    matrix = recent_items_matrix(frame, length, item_column, user_column)
    out = frame.copy()
    out["recent_items"] = list(matrix)
    return out


# --------------------------------------------------------------------------- prepare
@dataclasses.dataclass
class PreparedData:
    """Model-ready splits plus everything needed to map raw data the same way later.

    Attributes:
        train, val, test: frames with `user_idx`, `item_idx`, `artist_idx`
            (int32, 0 = unseen in training), scaled float32 objective columns
            (NaN = unknown), the original columns, and `recent_items` when asked.
        vocab: {"user_id": size, "item_id": size, "artist_id": size} (sizes include index 0).
        scaler: the fitted `ObjectiveScaler`.
        id_maps: {"user_id": IdMap, "item_id": IdMap, "artist_id": IdMap}.
        spec: the `DatasetSpec`.
        report: what every step did (rows removed by each filter, split sizes, OOV rows).
        history_length: length of `recent_items` (0 = none).
    """

    train: pd.DataFrame
    val: pd.DataFrame
    test: pd.DataFrame
    vocab: dict[str, int]
    scaler: ObjectiveScaler
    id_maps: dict[str, IdMap]
    spec: DatasetSpec
    report: dict
    history_length: int = 0

    @property
    def objective_names(self) -> tuple[str, ...]:
        return self.spec.objective_names

    def split(self, name: str) -> pd.DataFrame:
        if name not in SPLIT_NAMES:
            raise ValueError(f"unknown split {name!r}; known: {SPLIT_NAMES}")
        return getattr(self, name)

    def dataset(self, name: str, batch_size: int, **options):
        """`pipeline.make_dataset` over split `name` with this data's side features and history length."""
        from ms_bridge.datasets.pipeline import make_dataset

        options.setdefault("side_features", self.spec.side_features)
        options.setdefault("history_length", self.history_length)
        return make_dataset(self.split(name), self.spec, batch_size, **options)

    def summary(self) -> dict:
        """JSON-ready description for config.json (sizes, vocab, scaler statistics, report)."""
        return {"dataset": self.spec.name, "objectives": list(self.objective_names),
                "rows": {n: len(self.split(n)) for n in SPLIT_NAMES}, "vocab": dict(self.vocab),
                "history_length": self.history_length, "scaler": self.scaler.get_config(),
                "report": self.report}

    def save_maps(self) -> dict:
        """Id maps and scaler as one JSON-ready dict, enough to serve raw ids later."""
        return {"id_maps": {k: m.get_config() for k, m in self.id_maps.items()},
                "scaler": self.scaler.get_config()}


def _assign_sessions(frame: pd.DataFrame) -> pd.DataFrame:
    from ms_bridge import objectives

    result = objectives.assign_sessions(frame, gap_seconds=300)
    if isinstance(result, pd.DataFrame):
        return result
    out = frame.copy()
    out["session_id"] = np.asarray(result)
    return out


def prepare(frame: pd.DataFrame, spec: DatasetSpec, split: str | None = None, seed: int = 0,
            history_length: int = 0, kcore: int | None = None, split_options: Mapping | None = None,
            source: str | None = None) -> PreparedData:
    """Validated, filtered, split, indexed and scaled data for a `DatasetSpec`.

    Steps: contract validation -> sessions via `objectives.assign_sessions`
    when there is no `session_id` -> stable sort by timestamp -> k-core on users
    and items (`spec.kcore` unless `kcore` is given) -> split labels (`split` or
    `spec.split`; `seed` feeds the random split) -> id maps and scaler fit on
    train -> indices and `recent_items` on the whole filtered log -> scaled splits.

    Objectives declared by the spec but absent from the frame become all-unknown
    (NaN) columns, listed in `report["missing_objectives"]` with a warning.

    Example:
    >>> from ms_bridge.datasets.spec import get_spec
    >>> # data = prepare(frame, get_spec("mlhd"), history_length=10)
    >>> # data.train[["user_idx", "item_idx", "pct_listening"]]
    """
    source = source or str(frame.attrs.get("source", "interaction table"))
    method = split or spec.split
    if method not in SPLITS:
        raise ValueError(f"unknown split {method!r}; known: {SPLITS}")
    if history_length < 0:
        raise ValueError(f"history_length must be >= 0, got {history_length!r}")
    ranges = {o.name: o.raw_range for o in spec.objectives}
    validate_interactions(frame, source, ranges)
    report: dict[str, Any] = {"source": source, "rows_in": len(frame)}

    missing = [o.name for o in spec.objectives if o.name not in frame.columns]
    missing_side = [c for c in spec.side_features if c not in frame.columns]
    if missing_side:
        raise DataContractError(source, missing_side[0], f"side feature column(s) {missing_side} missing")
    work = frame.copy()
    for name in missing:
        work[name] = np.nan
    if missing:
        warnings.warn(f"{source}: objectives {missing} absent; treated as unknown (NaN) everywhere")
    report["missing_objectives"] = missing

    report["sessions"] = "given" if "session_id" in work.columns else "assigned (5 min gap)"
    if "session_id" not in work.columns:
        work = _assign_sessions(work)
    work = work.iloc[_time_order(work)].reset_index(drop=True)

    work, report["kcore"] = kcore_filter(work, spec.kcore if kcore is None else kcore)
    if len(work) == 0:
        raise ValueError(f"{source}: k-core filtering removed every row ({report['kcore']})")
    work = work.reset_index(drop=True)

    options = dict(split_options or {})
    if method == "random_72_14_14":
        options.setdefault("seed", seed)
    labels = split_labels(work, method, **options)
    sizes = {name: int((labels == i).sum()) for i, name in enumerate(SPLIT_NAMES)}
    report["split"] = {"method": method, "options": {**_SPLIT_DEFAULTS[method], **options}, "rows": sizes,
                       "outside_window": int((labels == OUTSIDE).sum())}
    expected_val = options.get("val_days", _SPLIT_DEFAULTS[method].get("val_days", 1))
    for name, count in sizes.items():
        if count == 0 and not (name == "val" and expected_val == 0):
            raise ValueError(f"{source}: split {method!r} leaves {name} empty (rows per split {sizes}; "
                             f"log spans {int(day_index(work['timestamp']).max()) + 1} UTC days)")

    train_rows = work[labels == 0]
    id_maps = {col: IdMap.fit(train_rows[col], name=col) for col in ID_COLUMNS}
    for col in ID_COLUMNS:
        work[col.replace("_id", "_idx")] = id_maps[col].transform(work[col])
    if history_length:
        work["recent_items"] = list(recent_items_matrix(work, history_length))
    scaler = ObjectiveScaler(spec).fit(train_rows)
    work = scaler.transform(work)

    parts = {name: work[labels == i].reset_index(drop=True) for i, name in enumerate(SPLIT_NAMES)}
    report["oov_rows"] = {name: {col: int((parts[name][col.replace("_id", "_idx")] == 0).sum()) for col in ID_COLUMNS}
                          for name in ("val", "test")}
    report["rows_out"] = sizes
    return PreparedData(train=parts["train"], val=parts["val"], test=parts["test"],
                        vocab={col: m.size for col, m in id_maps.items()}, scaler=scaler, id_maps=id_maps,
                        spec=spec, report=report, history_length=int(history_length))
