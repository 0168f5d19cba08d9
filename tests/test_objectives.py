"""Objectives (SPEC §5): vectorised code against slow row-by-row references and hand values."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pandas as pd
import pytest

from ms_bridge import objectives as obj

DAY = 86_400


# --------------------------------------------------------------------------- slow references


def _before(frame: pd.DataFrame, i: int, j: int) -> bool:
    """Event at position j happened before the event at position i: (timestamp, row position)."""
    ts = frame["timestamp"].to_numpy()
    return (ts[j], j) < (ts[i], i)


def ref_fan(frame: pd.DataFrame) -> pd.DataFrame:
    u, a, ts = frame["user_id"].tolist(), frame["artist_id"].tolist(), frame["timestamp"].tolist()
    new_fan, recurring = [], []
    for i in range(len(frame)):
        prior = [j for j in range(len(frame)) if u[j] == u[i] and a[j] == a[i] and _before(frame, i, j)]
        n = len(prior)
        if n == 0:
            new_fan.append(1.0)
            recurring.append(1.0)
            continue
        d_first = max(1, math.ceil((ts[i] - min(ts[j] for j in prior)) / DAY))
        d_last = max(1, math.ceil((ts[i] - max(ts[j] for j in prior)) / DAY))
        new_fan.append(math.exp(-n / d_first))
        recurring.append(math.exp(-n / d_last))
    return pd.DataFrame({"new_fan": new_fan, "recurring_fan": recurring}, index=frame.index)


def ref_num_times(frame: pd.DataFrame) -> list[float]:
    u, it = frame["user_id"].tolist(), frame["item_id"].tolist()
    return [float(sum(1 for j in range(len(frame)) if u[j] == u[i] and it[j] == it[i] and _before(frame, i, j)))
            for i in range(len(frame))]


def ref_sessions(frame: pd.DataFrame, gap: int) -> list[tuple]:
    """(user, k): the k-th session of the user, by walking each user's events in order."""
    ts = frame["timestamp"].tolist()
    out = [None] * len(frame)
    for user in dict.fromkeys(frame["user_id"]):
        rows = sorted((i for i in range(len(frame)) if frame["user_id"].iloc[i] == user), key=lambda i: (ts[i], i))
        k = 0
        for prev, cur in zip([None] + rows[:-1], rows):
            if prev is not None and ts[cur] - ts[prev] > gap:
                k += 1
            out[cur] = (user, k)
    return out


def _dist(emb: dict, x, y) -> float:
    return float(np.sqrt(np.sum((np.asarray(emb[x]) - np.asarray(emb[y])) ** 2)))


def ref_video(frame: pd.DataFrame, emb: dict) -> pd.DataFrame:
    n = len(frame)
    u, it, s = frame["user_id"].tolist(), frame["item_id"].tolist(), frame["session_id"].tolist()
    ts = frame["timestamp"].tolist()
    watched = frame["video_view"].tolist() if "video_view" in frame else [1] * n
    key = lambda i: (ts[i], i)  # noqa: E731
    rel, nov, has_h, has_p = [], [], [], []
    for i in range(n):
        earlier_watch = [j for j in range(n) if u[j] == u[i] and watched[j] == 1 and _before(frame, i, j)]
        if earlier_watch:
            last = max(earlier_watch, key=key)
            nov.append(_dist(emb, it[i], it[last]))
        else:
            nov.append(0.0)
        has_h.append(bool(earlier_watch))
        first_of = {}
        for j in range(n):
            if u[j] == u[i]:
                first_of[s[j]] = min(first_of.get(s[j], key(j)), key(j))
        earlier_sessions = [x for x in first_of if first_of[x] < first_of[s[i]]
                            and any(u[j] == u[i] and s[j] == x and watched[j] == 1 for j in range(n))]
        if earlier_sessions:
            prev = max(earlier_sessions, key=lambda x: first_of[x])
            members = [j for j in range(n) if u[j] == u[i] and s[j] == prev and watched[j] == 1]
            rel.append(1.0 / (1.0 + np.mean([_dist(emb, it[i], it[j]) for j in members])))
        else:
            rel.append(0.0)
        has_p.append(bool(earlier_sessions))
    return pd.DataFrame({"relevance": rel, "novelty": nov, "has_history": has_h,
                         "has_previous_session": has_p}, index=frame.index)


def ref_alternative(frame: pd.DataFrame, emb: dict) -> pd.DataFrame:
    n = len(frame)
    u, it, s = frame["user_id"].tolist(), frame["item_id"].tolist(), frame["session_id"].tolist()
    ts = frame["timestamp"].tolist()
    div, sim, has_l, has_s = [], [], [], []
    for i in range(n):
        earlier = [j for j in range(n) if u[j] == u[i] and _before(frame, i, j)]
        last = max(earlier, key=lambda j: (ts[j], j)) if earlier else None
        div.append(_dist(emb, it[i], it[last]) if earlier else 0.0)
        in_session = [j for j in earlier if s[j] == s[i]]
        if in_session:
            centre = np.mean([emb[it[j]] for j in in_session], axis=0)
            sim.append(1.0 / (1.0 + float(np.linalg.norm(np.asarray(emb[it[i]]) - centre))))
        else:
            sim.append(0.0)
        has_l.append(bool(earlier))
        has_s.append(bool(in_session))
    return pd.DataFrame({"consumption_diversity": div, "session_similarity": sim, "has_last_item": has_l,
                         "has_session_history": has_s}, index=frame.index)


def random_log(seed: int, rows: int = 240) -> pd.DataFrame:
    """Few users/artists/items, many same-timestamp ties, same-day replays and multi-week gaps."""
    rng = np.random.default_rng(seed)
    item_artist = {f"i{k}": f"a{k % 4}" for k in range(12)}
    days = rng.choice([0, 0, 1, 2, 7, 21, 35], size=rows)
    seconds = rng.choice([0, 0, 10, 299, 301, 3_600, 86_399], size=rows)
    items = rng.choice(list(item_artist), size=rows)
    frame = pd.DataFrame({
        "user_id": rng.choice(["u0", "u1", "u2", "u3", "u4"], size=rows),
        "item_id": items,
        "artist_id": [item_artist[i] for i in items],
        "timestamp": (1_600_000_000 + days * DAY + seconds).astype(np.int64),
    })
    frame.index = pd.Index(rng.permutation(rows) * 3 + 1000, name="event")  # not a RangeIndex
    return frame


# --------------------------------------------------------------------------- fan objectives / counts


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fan_objectives_match_slow_reference(seed):
    log = random_log(seed)
    before = log.copy()
    got = obj.fan_objectives(log)
    assert log.equals(before)
    assert got.index.equals(log.index)
    pd.testing.assert_frame_equal(got, ref_fan(log), rtol=1e-12, atol=0)
    assert (got["new_fan"] < 1).any() and (got["recurring_fan"] < got["new_fan"]).any()


@pytest.mark.parametrize("seed", [0, 3])
def test_num_times_listening_matches_slow_reference(seed):
    log = random_log(seed)
    got = obj.num_times_listening(log)
    assert got.index.equals(log.index) and got.name == "num_times_listening"
    np.testing.assert_array_equal(got.to_numpy(), ref_num_times(log))
    assert got.max() >= 3


def test_fan_objectives_hand_computed_ties_days_and_gaps():
    log = pd.DataFrame({
        "user_id": [1, 1, 1, 1, 1, 2],
        "artist_id": ["x", "x", "x", "y", "x", "x"],
        "item_id": [10, 11, 10, 20, 12, 10],
        "timestamp": [100, 100, 100 + DAY, 100, 100 + 15 * DAY + 1, 100],
    })
    got = obj.fan_objectives(log)
    # row0 first play; row1 same second, later in input -> n=1, d=1; row2 exactly one day -> d=1;
    # row4: n=3, 15 days + 1 s since first -> d_first=16, 14 days + 1 s since last -> d_last=15.
    np.testing.assert_allclose(got["new_fan"], [1, math.exp(-1), math.exp(-2), 1, math.exp(-3 / 16), 1])
    np.testing.assert_allclose(got["recurring_fan"], [1, math.exp(-1), math.exp(-2), 1, math.exp(-3 / 15), 1])
    np.testing.assert_array_equal(obj.num_times_listening(log), [0, 0, 1, 0, 0, 0])


def test_input_order_breaks_timestamp_ties_even_when_rows_are_unsorted():
    log = pd.DataFrame({"user_id": [7, 7, 7], "artist_id": [1, 1, 1], "item_id": [3, 3, 3],
                        "timestamp": [50, 10, 50]})
    np.testing.assert_array_equal(obj.num_times_listening(log), [1, 0, 2])
    np.testing.assert_allclose(obj.fan_objectives(log)["new_fan"], [math.exp(-1), 1, math.exp(-2)])


def test_history_objectives_refuse_bad_input():
    log = pd.DataFrame({"user_id": [1, None], "artist_id": [1, 1], "item_id": [1, 1], "timestamp": [0, 1]})
    with pytest.raises(ValueError, match="user_id"):
        obj.fan_objectives(log)
    with pytest.raises(ValueError, match="float64"):
        obj.num_times_listening(log.assign(user_id=[1, 2], timestamp=[0.5, 1.0]))
    with pytest.raises(ValueError, match="artist_id"):
        obj.fan_objectives(log.drop(columns="artist_id"))


def test_datetime_timestamps_are_read_as_seconds():
    log = pd.DataFrame({"user_id": [1, 1], "artist_id": [1, 1], "item_id": [1, 2],
                        "timestamp": pd.to_datetime(["2020-01-01 00:00:00", "2020-01-03 00:00:01"])})
    np.testing.assert_allclose(obj.fan_objectives(log)["new_fan"], [1, math.exp(-1 / 3)])


# --------------------------------------------------------------------------- sessions


def test_assign_sessions_gap_rule_matches_reference():
    log = random_log(4, rows=120)
    got = obj.assign_sessions(log, gap_seconds=300)
    assert got.dtype == np.int64 and got.index.equals(log.index)
    ref = ref_sessions(log, 300)
    # same partition: a bijection between vectorised ids and reference (user, k) labels
    pairs = set(zip(got.tolist(), ref))
    assert len(pairs) == got.nunique() == len(set(ref))


def test_assign_sessions_boundary_and_existing_column():
    log = pd.DataFrame({"user_id": ["a", "b", "a", "a", "a"], "timestamp": [0, 5, 300, 601, 601]})
    assert obj.assign_sessions(log).tolist() == [0, 2, 0, 1, 1]
    assert obj.assign_sessions(log, gap_seconds=301).tolist() == [0, 1, 0, 0, 0]
    given = log.assign(session_id=["s", "t", "s", "s", "u"])
    assert obj.assign_sessions(given).tolist() == ["s", "t", "s", "s", "u"]
    with pytest.raises(ValueError, match="-1"):
        obj.assign_sessions(log, gap_seconds=-1)


# --------------------------------------------------------------------------- gaps (Last.fm / MLHD)


def test_gap_objectives_hand_computed_with_track_table():
    # user 1: session A (0, 20, 220), gap 1000 -> session B (1220, 1400); user 2 interleaved.
    log = pd.DataFrame({"user_id": [1, 2, 1, 1, 2, 1, 1],
                        "item_id": [7, 7, 8, 7, 9, 8, 9],
                        "timestamp": [0, 10, 20, 220, 100, 1220, 1400]})
    got = obj.gap_objectives(log, durations=pd.Series({7: 200.0, 8: 100.0, 9: 400.0}))
    nan = np.nan
    np.testing.assert_array_equal(got["is_skip"], [1, 0, 0, nan, nan, 0, nan])
    np.testing.assert_array_equal(got["is_finish"], [0, 0, 1, nan, nan, 1, nan])
    np.testing.assert_allclose(got["pct_listening"], [0.1, 90 / 200, 1, nan, nan, 1, nan])


def test_gap_objectives_median_gap_duration_capped():
    # track 5 gaps: 100, 200, 400 -> median 200; track 6 gaps 1000, 2000 (same long session) -> capped 600;
    # track 9 gaps 10, 30 and an unknown last one -> median 20
    log = pd.DataFrame({"user_id": [1] * 8,
                        "item_id": [5, 5, 5, 6, 6, 9, 9, 9],
                        "timestamp": [0, 100, 300, 700, 1700, 3700, 3710, 3740]})
    got = obj.gap_objectives(log, session_gap_seconds=10_000)
    gaps = np.array([100, 200, 400, 1000, 2000, 10, 30])
    duration = np.array([200, 200, 200, 600, 600, 20, 20])
    np.testing.assert_allclose(got["pct_listening"][:7], np.minimum(gaps / duration, 1))
    np.testing.assert_array_equal(got["is_finish"][:7], gaps >= 0.9 * duration)
    np.testing.assert_array_equal(got["is_skip"][:7], gaps < 30)
    assert got.iloc[7].isna().all()
    # a track table beats the median; a track missing from it falls back to the median
    table = obj.gap_objectives(log, durations={5: 1000}, session_gap_seconds=10_000)
    np.testing.assert_allclose(table["pct_listening"][:4], [0.1, 0.2, 0.4, 1.0])
    # a `duration` column is used when no table is given
    column = obj.gap_objectives(log.assign(duration=400.0), session_gap_seconds=10_000)
    np.testing.assert_allclose(column["pct_listening"][:3], [0.25, 0.5, 1.0])


def test_last_scrobble_of_every_session_is_unknown():
    log = random_log(5, rows=150).drop(columns="artist_id")
    got = obj.gap_objectives(log)
    sessions = obj.assign_sessions(log)
    ts = log["timestamp"].to_numpy()
    position = np.arange(len(log))
    last_of_session = pd.Series(list(zip(ts, position)), index=log.index).groupby(
        [log["user_id"], sessions]).transform("max")
    is_last = np.array([tuple(x) == (t, p) for x, t, p in zip(last_of_session, ts, position)])
    np.testing.assert_array_equal(got["is_skip"].isna().to_numpy(), is_last)
    known = got["pct_listening"].dropna()
    assert known.between(0, 1).all() and len(known) > 0


def test_gap_objectives_refuse_bad_arguments():
    log = pd.DataFrame({"user_id": [1], "item_id": [1], "timestamp": [0]})
    with pytest.raises(ValueError, match="1.5"):
        obj.gap_objectives(log, finish_ratio=1.5)
    with pytest.raises(ValueError, match="-3"):
        obj.gap_objectives(log, skip_seconds=-3)
    with pytest.raises(ValueError, match="0"):
        obj.gap_objectives(log, max_duration=0)


@pytest.mark.needs_shared_data
def test_gap_objectives_on_lastfm1k_sample(shared_data):
    path = shared_data / "lastfm1k" / "userid-timestamp-artid-artname-traid-traname.sample.tsv"
    raw = pd.read_csv(path, sep="\t", header=None, quoting=3,
                      names=["user_id", "time", "artist_mbid", "artist", "track_mbid", "track"])
    log = pd.DataFrame({"user_id": raw["user_id"], "item_id": raw["artist"] + " - " + raw["track"],
                        "artist_id": raw["artist"],
                        "timestamp": pd.to_datetime(raw["time"]).astype("int64") // 10**9})
    got = obj.gap_objectives(log)
    n_sessions = obj.assign_sessions(log).nunique()
    assert got["is_skip"].isna().sum() == n_sessions
    assert got["pct_listening"].dropna().between(0, 1).all()
    assert 0 < got["is_skip"].mean() < 1


# --------------------------------------------------------------------------- MSSD and raw-field helpers


def test_mssd_pct_listening_earliest_flag_wins():
    log = pd.DataFrame({"skip_1": ["True", "False", "False", "False", "False"],
                        "skip_2": ["True", "True", "False", "False", "False"],
                        "skip_3": ["True", "True", "True", "False", "False"],
                        "not_skipped": ["False", "False", "False", "True", "False"]})
    got = obj.mssd_pct_listening(log)
    np.testing.assert_array_equal(got, [0.05, 0.25, 0.75, 1.0, np.nan])
    assert obj.mssd_pct_listening(log, none_value=0.9).iloc[-1] == 0.9
    with pytest.raises(ValueError, match="maybe"):
        obj.mssd_pct_listening(log.assign(skip_1=["maybe"] * 5))


@pytest.mark.needs_shared_data
def test_mssd_pct_listening_on_sample(shared_data):
    log = pd.read_csv(shared_data / "mssd" / "log_very_small.csv")
    got = obj.mssd_pct_listening(log)
    counts = got.value_counts(dropna=False)
    expected_nan = (~log[["skip_1", "skip_2", "skip_3", "not_skipped"]].any(axis=1)).sum()
    assert counts[1.0] == log["not_skipped"].sum()
    assert counts[0.05] == log["skip_1"].sum()
    assert got.isna().sum() == expected_nan
    assert counts[0.25] == (log["skip_2"] & ~log["skip_1"]).sum()


def test_feedback_type_and_in_playlist():
    log = pd.DataFrame({"like": [1, 0, 1, 0, np.nan], "dislike": [0, 1, 1, 0, np.nan],
                        "context_type": ["user_collection", "radio", "catalog", None, "user_collection"],
                        "saved": [True, False, True, False, True]})
    np.testing.assert_array_equal(obj.feedback_type(log), [1, -1, 0, 0, np.nan])
    np.testing.assert_array_equal(obj.feedback_type(log.drop(columns="dislike")), [1, 0, 1, 0, np.nan])
    np.testing.assert_array_equal(obj.in_playlist(log, "context_type", ["user_collection"]), [1, 0, 0, np.nan, 1])
    np.testing.assert_array_equal(obj.in_playlist(log, "saved"), [1, 0, 1, 0, 1])
    with pytest.raises(ValueError, match="thumbs"):
        obj.feedback_type(log, like="thumbs", dislike="down")


# --------------------------------------------------------------------------- embedding objectives


def embedding_log(seed: int, rows: int = 160):
    rng = np.random.default_rng(seed)
    log = pd.DataFrame({
        "user_id": rng.choice([10, 11, 12], size=rows),
        "item_id": rng.choice([f"v{k}" for k in range(15)], size=rows),
        "timestamp": rng.choice(np.arange(0, 20 * 3600, 600), size=rows).astype(np.int64),
        "video_view": rng.choice([0, 1, 1], size=rows),
    })
    log["session_id"] = log["timestamp"] // 7200  # 2-hour blocks shared by users; keyed per user
    log.index = rng.permutation(rows) + 5
    emb = {f"v{k}": rng.normal(size=4) for k in range(15)}
    return log, emb


@pytest.mark.parametrize("seed", [0, 1])
def test_video_objectives_match_loop_reference(seed):
    log, emb = embedding_log(seed)
    got = obj.video_objectives(log, emb)
    expected = ref_video(log, emb)
    pd.testing.assert_frame_equal(got, expected, rtol=1e-10, atol=1e-12)
    assert expected["has_previous_session"].mean() > 0.3 and (~expected["has_history"]).any()


def test_video_objectives_without_view_column_and_with_assigned_sessions():
    log, emb = embedding_log(2, rows=80)
    log = log.drop(columns=["video_view", "session_id"])
    got = obj.video_objectives(log, emb, session_gap_seconds=1200)
    expected = ref_video(log.assign(session_id=obj.assign_sessions(log, 1200)), emb)
    pd.testing.assert_frame_equal(got, expected, rtol=1e-10, atol=1e-12)


def test_video_objectives_hand_computed_and_embedding_formats():
    log = pd.DataFrame({"user_id": [1, 1, 1, 1], "item_id": ["a", "b", "c", "a"],
                        "timestamp": [0, 10, 1000, 1010], "video_view": [1, 0, 1, 1]})
    vectors = {"a": [0.0, 0.0], "b": [3.0, 4.0], "c": [0.0, 2.0]}
    got = obj.video_objectives(log, vectors)
    # novelty: last *watched* item; b was not watched, so c is compared with a, not b.
    np.testing.assert_allclose(got["novelty"], [0, 5, 2, 2])
    # previous session {a} (b not watched): c -> 1/(1+2); a -> 1/(1+0)
    np.testing.assert_allclose(got["relevance"], [0, 0, 1 / 3, 1])
    assert got["has_previous_session"].tolist() == [False, False, True, True]
    frame_emb = pd.DataFrame(vectors).T
    pd.testing.assert_frame_equal(obj.video_objectives(log, frame_emb), got)
    pd.testing.assert_frame_equal(obj.video_objectives(log, pd.Series(vectors)), got)
    array_emb = np.array([[9.0, 9.0], [0.0, 2.0], [0.0, 0.0], [3.0, 4.0]])
    pd.testing.assert_frame_equal(obj.video_objectives(log, array_emb, item_index={"a": 2, "b": 3, "c": 1}), got)
    pd.testing.assert_frame_equal(obj.video_objectives(log.assign(video_view=1), vectors, fill_value=np.nan)
                                  [["has_history"]], pd.DataFrame({"has_history": [False, True, True, True]}))
    with pytest.raises(ValueError, match="'c'"):
        obj.video_objectives(log, {"a": [0.0, 0.0], "b": [1.0, 1.0]})
    with pytest.raises(ValueError, match="item_embeddings"):
        obj.video_objectives(log)
    log.attrs["item_embeddings"] = vectors
    pd.testing.assert_frame_equal(obj.video_objectives(log), got)


@pytest.mark.parametrize("seed", [0, 1])
def test_alternative_artist_objectives_match_loop_reference(seed):
    log, emb = embedding_log(seed)
    got = obj.alternative_artist_objectives(log, emb)
    pd.testing.assert_frame_equal(got, ref_alternative(log, emb), rtol=1e-10, atol=1e-12)


def test_alternative_artist_objectives_hand_computed():
    log = pd.DataFrame({"user_id": [1, 1, 1, 1], "item_id": [0, 1, 2, 0], "timestamp": [0, 10, 20, 5000]})
    emb = np.array([[0.0, 0.0], [6.0, 0.0], [3.0, 4.0]])
    got = obj.alternative_artist_objectives(log, emb, fill_value=np.nan)
    np.testing.assert_allclose(got["consumption_diversity"], [np.nan, 6, 5, 5])
    np.testing.assert_allclose(got["session_similarity"], [np.nan, 1 / 7, 1 / 5, np.nan])
    assert got["has_session_history"].tolist() == [False, True, True, False]


def test_mean_distance_chunking_matches_direct(monkeypatch):
    monkeypatch.setattr(obj, "_CHUNK_ROWS", 7)
    log, emb = embedding_log(3, rows=90)
    pd.testing.assert_frame_equal(obj.video_objectives(log, emb), ref_video(log, emb), rtol=1e-10, atol=1e-12)


# --------------------------------------------------------------------------- add_objectives


class _Spec:
    objective_names = ("pct_listening", "is_finish", "is_skip", "new_fan", "recurring_fan")


def test_add_objectives_scrobble_spec_and_rules():
    log = random_log(6, rows=60)
    before = log.copy()
    out = obj.add_objectives(log, _Spec())
    assert log.equals(before)
    for name in _Spec.objective_names:
        assert name in out
    pd.testing.assert_frame_equal(out[["new_fan", "recurring_fan"]], obj.fan_objectives(log))
    pd.testing.assert_frame_equal(out[["is_skip", "is_finish", "pct_listening"]], obj.gap_objectives(log))
    pd.testing.assert_series_equal(out["session_id"], obj.assign_sessions(log))
    kept = obj.add_objectives(log.assign(new_fan=0.5), ["new_fan"])
    assert (kept["new_fan"] == 0.5).all()
    redone = obj.add_objectives(log.assign(new_fan=0.5), ["new_fan"], overwrite=True)
    pd.testing.assert_series_equal(redone["new_fan"], obj.fan_objectives(log)["new_fan"])
    with pytest.raises(ValueError, match="spotify"):
        obj.add_objectives(log, "spotify")
    with pytest.raises(ValueError, match="bogus"):
        obj.add_objectives(log, ["bogus"])
    with pytest.raises(ValueError, match="time_spent"):
        obj.add_objectives(log, ["time_spent"])


def test_add_objectives_mssd_and_embedding_routes():
    log = pd.DataFrame({"user_id": ["s1"] * 3, "item_id": ["a", "b", "a"], "artist_id": [0, 0, 0],
                        "timestamp": [0, 1, 2], "session_id": ["s1"] * 3,
                        "skip_1": [True, False, False], "skip_2": [True, False, False],
                        "skip_3": [True, True, False], "not_skipped": [False, False, True]})
    out = obj.add_objectives(log, ["pct_listening", "num_times_listening", "consumption_diversity"],
                             item_embeddings={"a": [0.0], "b": [2.0]})
    np.testing.assert_array_equal(out["pct_listening"], [0.05, 0.75, 1.0])
    np.testing.assert_array_equal(out["num_times_listening"], [0, 0, 1])
    np.testing.assert_array_equal(out["consumption_diversity"], [0, 2, 2])
    assert "is_skip" not in out and "has_last_item" in out


def test_module_docstring_examples():
    result = doctest.testmod(obj, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 10 and result.failed == 0
