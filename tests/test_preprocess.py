"""Tests of ms_bridge.datasets.preprocess against hand-computed values and slow references."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from ms_bridge.datasets import preprocess as pp
from ms_bridge.datasets.spec import DatasetSpec, ObjectiveSpec

DAY = 86400
T0 = 1_600_000_000 - 1_600_000_000 % DAY  # a UTC midnight


def _spec(**changes) -> DatasetSpec:
    base = dict(
        name="toy", stakeholders=("user", "artist"),
        objectives=(ObjectiveSpec("pct", "user", "bounded"), ObjectiveSpec("n", "user", "count"),
                    ObjectiveSpec("fb", "user", "ternary"), ObjectiveSpec("fan", "artist", "bounded")),
        engagement="pct", positive_rule=("pct", 0.5), split="time_80_20", kcore=0)
    base.update(changes)
    return DatasetSpec(**base)


def _log(n=60, n_users=5, n_items=8, seed=0, ts_step=60):
    rng = np.random.default_rng(seed)
    items = rng.integers(0, n_items, n)
    return pd.DataFrame({
        "user_id": rng.integers(0, n_users, n).astype(np.int64),
        "item_id": items, "artist_id": items // 2,
        "timestamp": T0 + np.arange(n, dtype=np.int64) * ts_step,
        "session_id": np.zeros(n, dtype=np.int64),
        "pct": rng.random(n), "n": rng.integers(0, 20, n).astype(float),
        "fb": rng.integers(-1, 2, n).astype(float), "fan": rng.random(n)})


# ------------------------------------------------------------------ k-core
def _kcore_reference(frame, k, columns):
    kept = frame
    while True:
        bad = np.zeros(len(kept), dtype=bool)
        for c in columns:
            counts = kept[c].map(kept[c].value_counts())
            bad |= (counts < k).to_numpy()
        if not bad.any():
            return kept
        kept = kept[~bad]


def test_kcore_cascade_by_hand():
    f = pd.DataFrame({"user_id": ["u1", "u1", "u2", "u2", "u3", "u3"],
                      "item_id": ["A", "B", "A", "B", "A", "C"]})
    kept, report = pp.kcore_filter(f, 2)
    # pass 1 drops (u3, C): C has 1 row; u3 is left with 1 row, so pass 2 drops (u3, A)
    assert kept.index.tolist() == [0, 1, 2, 3]
    assert report["rows_removed"] == 2 and report["rows_in"] == 6 and report["rows_out"] == 4
    assert report["passes"] == [{"pass": 1, "removed": 1, "below_k": {"user_id": 0, "item_id": 1}},
                                {"pass": 2, "removed": 1, "below_k": {"user_id": 1, "item_id": 0}}]
    assert pp.kcore_complement(f, 2).index.tolist() == [4, 5]


def test_kcore_matches_reference_on_random_logs():
    for seed in range(5):
        f = _log(n=300, n_users=40, n_items=60, seed=seed)
        kept, report = pp.kcore_filter(f, 4)
        ref = _kcore_reference(f, 4, ("user_id", "item_id"))
        assert kept.index.tolist() == ref.index.tolist()
        assert report["rows_removed"] == sum(p["removed"] for p in report["passes"]) == len(f) - len(kept)
        if len(kept):
            assert kept["user_id"].value_counts().min() >= 4 and kept["item_id"].value_counts().min() >= 4


def test_kcore_zero_disables_and_rejects_bad_k():
    f = _log(n=10)
    kept, report = pp.kcore_filter(f, 0)
    assert len(kept) == 10 and report["rows_removed"] == 0 and report["passes"] == []
    with pytest.raises(ValueError, match="-1"):
        pp.kcore_filter(f, -1)
    with pytest.raises(ValueError, match="nope"):
        pp.kcore_filter(f, 2, columns=("nope",))


# ------------------------------------------------------------------ splits
def test_spotify_days_boundaries_by_hand():
    start = T0 + 23 * 3600  # first event at 23:00 UTC: 01:00 the next day is already day 1
    ts = [start, T0 + DAY + 3600, T0 + 5 * DAY - 1, T0 + 5 * DAY, T0 + 6 * DAY - 1, T0 + 6 * DAY,
          T0 + 7 * DAY - 1, T0 + 7 * DAY]
    f = pd.DataFrame({"timestamp": np.array(ts, dtype=np.int64)})
    assert pp.day_index(f["timestamp"]).tolist() == [0, 1, 4, 5, 5, 6, 6, 7]
    assert pp.split_labels(f, "spotify_days").tolist() == [0, 0, 0, 1, 1, 2, 2, -1]
    # Appendix E.2 windows
    assert pp.split_labels(f, "spotify_days", train_days=6, val_days=0).tolist() == [0, 0, 0, 0, 0, 2, 2, -1]
    assert pp.split_labels(f, "spotify_days", train_days=4, val_days=2).tolist() == [0, 0, 1, 1, 1, 2, 2, -1]
    parts = pp.split_frame(f, "spotify_days")
    assert [len(parts[k]) for k in ("train", "val", "test")] == [3, 2, 2]


def test_sessions_weeks_keeps_sessions_whole():
    ts = [T0, T0 + 21 * DAY - 120, T0 + 21 * DAY + 60,  # session 1 starts on day 20 and crosses into day 21
          T0 + 21 * DAY + 600, T0 + 22 * DAY + 30,        # session 2 starts on the val day, ends on day 22
          T0 + 22 * DAY + 900, T0 + 28 * DAY + 5, T0 + 29 * DAY]
    f = pd.DataFrame({"user_id": [1, 1, 1, 1, 1, 2, 2, 2], "session_id": [0, 1, 1, 2, 2, 0, 1, 2],
                      "timestamp": np.array(ts, dtype=np.int64)})
    assert pp.split_labels(f, "sessions_weeks").tolist() == [0, 0, 0, 1, 1, 2, 2, -1]
    assert pp.split_labels(f, "sessions_weeks", keep_sessions=False).tolist() == [0, 0, 1, 1, 2, 2, 2, -1]
    # session ids numbered per user: (user, session) is the key, user 2's session 1 is not user 1's
    shuffled = f.iloc[[7, 3, 0, 5, 2, 6, 1, 4]]
    assert pp.split_labels(shuffled, "sessions_weeks").tolist() == [-1, 1, 0, 2, 0, 2, 0, 1]


def test_time_80_20_by_hand_with_ties_by_row_order():
    ts = np.array([5, 3, 3, 9, 1, 7, 7, 7, 2, 8, 0, 4, 6, 6, 6, 6, 10, 11, 12, 13], dtype=np.int64)
    f = pd.DataFrame({"timestamp": ts})
    labels = pp.split_labels(f, "time_80_20")
    # 20 rows: 16 train+val, of which the last 16 // 8 = 2 are val, 4 test
    order = np.argsort(ts, kind="stable")
    expected = np.empty(20, dtype=int)
    expected[order] = [0] * 14 + [1] * 2 + [2] * 4
    assert labels.tolist() == expected.tolist()
    # every timestamp tied: the cut follows row order
    tied = pd.DataFrame({"timestamp": np.zeros(20, dtype=np.int64)})
    assert pp.split_labels(tied, "time_80_20").tolist() == [0] * 14 + [1] * 2 + [2] * 4
    with pytest.raises(ValueError, match="shuffle"):
        pp.split_labels(f, "time_80_20", shuffle=True)


def test_random_split_sizes_seeded_and_disjoint():
    f = _log(n=100)
    a = pp.split_labels(f, "random_72_14_14", seed=3)
    assert np.bincount(a).tolist() == [72, 14, 14]
    assert np.array_equal(a, pp.split_labels(f, "random_72_14_14", seed=3))
    assert not np.array_equal(a, pp.split_labels(f, "random_72_14_14", seed=4))
    parts = pp.split_frame(f, "random_72_14_14", seed=3)
    union = pd.concat(parts.values()).index
    assert union.is_unique and sorted(union) == list(f.index)


def test_unknown_split_method():
    with pytest.raises(ValueError, match="weekly"):
        pp.split_frame(_log(), "weekly")


def test_long_tail_and_window_subsets():
    f = pd.DataFrame({"artist_id": [1, 1, 1, 1, 2, 2, 3], "timestamp": np.arange(7) * DAY + T0})
    # counts per artist 4, 2, 1; the median count is 2
    assert pp.long_tail_subset(f, "artist_id", 0.5)["artist_id"].tolist() == [2, 2, 3]
    assert pp.long_tail_subset(f, "artist_id", 0.0)["artist_id"].tolist() == [3]
    assert pp.window_subset(f, days=2, start_day=3).index.tolist() == [3, 4]
    with pytest.raises(ValueError, match="1.5"):
        pp.long_tail_subset(f, "artist_id", 1.5)


# ------------------------------------------------------------------ IdMap
def test_idmap_oov_and_json_roundtrip():
    m = pp.IdMap.fit(pd.Series([30, 10, 20, 10]), name="item_id")
    assert m.size == 4 and m.ids == [10, 20, 30]
    assert m.transform(pd.Series([20, 99, 10, 30])).tolist() == [2, 0, 1, 3]
    assert m.transform(pd.Series([20])).dtype == np.int32
    back = pp.IdMap.from_json(m.to_json())
    assert back.transform(np.array([20, 99, 10, 30])).tolist() == [2, 0, 1, 3]
    assert back.inverse_transform([0, 3]).tolist() == [None, 30]
    strings = pp.IdMap.fit(["b", "a"], name="user_id")
    assert pp.IdMap.from_config(json.loads(json.dumps(strings.get_config()))).transform(["a", "c"]).tolist() == [1, 0]
    mixed = pp.IdMap.fit(["x", 1, "x"])  # not sortable: order of first appearance
    assert mixed.transform([1, "x", "y"]).tolist() == [2, 1, 0]
    with pytest.raises(ValueError, match="NaN"):
        pp.IdMap([1.0, np.nan])
    with pytest.raises(ValueError, match="4"):
        m.inverse_transform([4])


# ------------------------------------------------------------------ scaler
def test_scaler_q99_ternary_and_log1p_by_hand():
    objs = [ObjectiveSpec("n", "user", "count"), ObjectiveSpec("fb", "user", "ternary"),
            ObjectiveSpec("t", "user", "nonneg", scaling="log1p_q99"), ObjectiveSpec("p", "user", "bounded")]
    train = pd.DataFrame({"n": np.arange(101.0), "fb": 0.0, "t": np.expm1(np.arange(101.0) / 10), "p": 0.3})
    s = pp.ObjectiveScaler(objs).fit(train)
    assert s.q99["n"] == pytest.approx(99.0)  # np.quantile(0..100, 0.99) = 99
    assert s.q99["t"] == pytest.approx(9.9)  # q99 of log1p(t) = q99 of 0..10 = 9.9
    out = s.transform(pd.DataFrame({"n": [49.5, 150.0, np.nan], "fb": [-1.0, 0.0, 1.0],
                                    "t": [np.expm1(4.95), np.expm1(20.0), 0.0], "p": [0.25, np.nan, 1.0]}))
    assert out["n"].dtype == np.float32
    np.testing.assert_allclose(out["n"].to_numpy(), [0.5, 1.0, np.nan], rtol=1e-6)
    np.testing.assert_allclose(out["fb"].to_numpy(), [0.0, 0.5, 1.0])
    np.testing.assert_allclose(out["t"].to_numpy(), [0.5, 1.0, 0.0], rtol=1e-6)
    np.testing.assert_allclose(out["p"].to_numpy(), [0.25, np.nan, 1.0])
    back = s.inverse_transform(out)
    np.testing.assert_allclose(back["n"].to_numpy(), [49.5, 99.0, np.nan], rtol=1e-6)
    np.testing.assert_allclose(back["fb"].to_numpy(), [-1.0, 0.0, 1.0])
    np.testing.assert_allclose(back["t"].to_numpy()[[0, 2]], [np.expm1(4.95), 0.0], rtol=1e-5)
    again = pp.ObjectiveScaler.from_json(s.to_json())
    pd.testing.assert_frame_equal(again.transform(out.fillna(0.0)), s.transform(out.fillna(0.0)))


def test_scaler_q99_zero_guard():
    objs = [ObjectiveSpec("a", "user", "count"), ObjectiveSpec("b", "user", "count"),
            ObjectiveSpec("c", "artist", "nonneg")]
    train = pd.DataFrame({"a": [0.0] * 200 + [4.0], "b": 0.0, "c": np.nan})
    s = pp.ObjectiveScaler(objs).fit(train)
    assert s.q99 == {"a": 4.0, "b": 1.0, "c": 1.0}
    assert s.fallbacks == {"a": "max", "b": "all_zero", "c": "no_known_training_values"}
    out = s.transform(pd.DataFrame({"a": [2.0], "b": [0.3], "c": [7.0]}))
    np.testing.assert_allclose(out.to_numpy()[0], [0.5, 0.3, 1.0], rtol=1e-6)
    with pytest.raises(ValueError, match="before fit"):
        pp.ObjectiveScaler(objs).transform(train)


# ------------------------------------------------------------------ history
def _recent_reference(frame, length):
    order = sorted(range(len(frame)), key=lambda i: (frame["timestamp"].iloc[i], i))
    seen: dict = {}
    out = np.zeros((len(frame), length), dtype=np.int32)
    for i in order:
        u = frame["user_id"].iloc[i]
        hist = seen.setdefault(u, [])
        past = hist[-length:]
        out[i, length - len(past):] = past
        hist.append(frame["item_idx"].iloc[i])
    return out


def test_recent_items_match_a_loop():
    rng = np.random.default_rng(1)
    n = 200
    f = pd.DataFrame({"user_id": rng.integers(0, 7, n), "item_idx": rng.integers(1, 30, n),
                      "timestamp": rng.integers(0, 50, n).astype(np.int64)})  # many ties, unsorted
    for length in (1, 3, 6):
        out = pp.add_recent_items(f, length)
        got = np.stack(out["recent_items"].to_numpy())
        assert got.dtype == np.int32
        np.testing.assert_array_equal(got, _recent_reference(f, length))
    assert "recent_items" not in f.columns


# ------------------------------------------------------------------ prepare
def _prepared_log():
    f = _log(n=100, n_users=4, n_items=6, seed=2)
    f["session_id"] = np.arange(100) // 10
    return f


def test_prepare_end_to_end():
    f = _prepared_log()
    f.loc[95:, "item_id"] = 999  # an item seen only in test
    data = pp.prepare(f, _spec(), history_length=3)
    assert [len(data.train), len(data.val), len(data.test)] == [70, 10, 20]
    assert data.report["split"]["rows"] == {"train": 70, "val": 10, "test": 20}
    for frame in (data.train, data.val, data.test):
        for col in ("user_idx", "item_idx", "artist_idx"):
            assert frame[col].dtype == np.int32
        for name in data.objective_names:
            assert frame[name].dtype == np.float32
            assert frame[name].dropna().between(0, 1).all()
    assert data.vocab["item_id"] == data.train["item_id"].nunique() + 1
    assert (data.test["item_idx"].to_numpy()[-5:] == 0).all()
    assert data.report["oov_rows"]["test"]["item_id"] >= 5
    # recent items come from the whole log, so test rows see train and val history
    full = pd.concat([data.train, data.val, data.test], ignore_index=True)
    np.testing.assert_array_equal(np.stack(full["recent_items"].to_numpy()), _recent_reference(full, 3))
    assert (data.test["recent_items"].iloc[0] > 0).all()
    json.dumps(data.summary())
    json.dumps(data.save_maps())
    assert data.objective_names == ("pct", "n", "fb", "fan")


def test_prepare_scaler_uses_train_only():
    f = _prepared_log()
    a = pp.prepare(f, _spec())
    g = f.copy()
    g.loc[80:, "n"] = 1e6  # only val/test rows change
    b = pp.prepare(g, _spec())
    assert a.scaler.get_config() == b.scaler.get_config()
    assert a.scaler.q99["n"] == pytest.approx(np.quantile(f.loc[:69, "n"], 0.99))
    assert (b.test["n"] == 1.0).all()


def test_prepare_missing_objective_kcore_and_empty_split():
    f = _prepared_log().drop(columns=["fan"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = pp.prepare(f, _spec(kcore=3))
    assert any("fan" in str(w.message) for w in caught)
    assert data.report["missing_objectives"] == ["fan"] and data.train["fan"].isna().all()
    assert data.report["kcore"]["k"] == 3
    with pytest.raises(ValueError, match="val empty"):
        pp.prepare(_prepared_log(), _spec(split="spotify_days"))  # 100 minutes: one UTC day


def test_prepare_assigns_sessions_when_absent():
    pytest.importorskip("ms_bridge.objectives")
    f = _prepared_log().drop(columns=["session_id"])
    data = pp.prepare(f, _spec())
    assert "session_id" in data.train.columns and data.report["sessions"].startswith("assigned")


@pytest.mark.needs_shared_data
def test_kcore_and_time_split_on_lfm1b_sample(shared_data):
    les = pd.read_csv(shared_data / "lfm1b" / "LFM-1b_LEs.txt", sep="\t", header=None,
                      names=["user_id", "artist_id", "album_id", "item_id", "timestamp"], nrows=20000)
    kept, report = pp.kcore_filter(les, 5)
    assert report["rows_removed"] == len(les) - len(kept) > 0
    assert kept["user_id"].value_counts().min() >= 5 and kept["item_id"].value_counts().min() >= 5
    labels = pp.split_labels(kept, "time_80_20")
    n_trval = int(len(kept) * 0.8)
    assert np.bincount(labels).tolist() == [n_trval - n_trval // 8, n_trval // 8, len(kept) - n_trval]
    ts = kept["timestamp"].to_numpy()
    assert ts[labels == 0].max() <= ts[labels == 1].min() and ts[labels == 1].max() <= ts[labels == 2].min()
