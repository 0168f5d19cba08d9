"""Bring-your-own-data: CSV/TSV/Parquet with a column mapping."""

import numpy as np
import pandas as pd
import pytest

from ms_bridge.datasets import formats
from ms_bridge.datasets.formats import mapped

MAP = {"user_id": "listener", "item_id": "song", "artist_id": "band", "timestamp": "played_at"}


def plays(tmp_path):
    path = tmp_path / "plays.csv"
    path.write_text("listener,song,band,played_at,mood\n"
                    "007,s1,b1,2020-01-01T00:00:00Z,calm\n"
                    "007,s2,b1,2020-01-01T00:00:20Z,calm\n"
                    "007,s1,b1,2020-01-03T00:00:00Z,loud\n")
    return path


def test_defaults_derive_history_objectives(tmp_path):
    frame = formats.read_log("csv", plays(tmp_path), mapping=MAP, timestamp_format="iso")
    assert frame["user_id"].tolist() == ["007"] * 3  # ids stay as written
    assert frame["timestamp"].tolist() == [1577836800, 1577836820, 1578009600]
    assert frame["mood"].tolist() == ["calm", "calm", "loud"]
    assert frame["num_times_listening"].tolist() == [0.0, 0.0, 1.0]
    # third play: n = 2 earlier plays of b1, first 2 days before, latest 2 days minus 20 s before
    np.testing.assert_allclose(frame["new_fan"], [1.0, np.exp(-1.0), np.exp(-2.0 / 2.0)])
    np.testing.assert_allclose(frame["recurring_fan"], [1.0, np.exp(-1.0), np.exp(-2.0 / 2.0)])
    assert "is_skip" not in frame.columns  # the gap rule only when asked
    assert frame.attrs["report"]["rules"] == {"new_fan": "fans", "recurring_fan": "fans",
                                              "num_times_listening": "num_times"}


def test_spec_objectives_with_gap_rule_and_given_field(tmp_path):
    path = tmp_path / "plays.tsv"
    path.write_text("listener\tsong\tband\tt\tlen\tthumb\n"
                    "1\ts1\tb1\t0\t100\t1\n"
                    "1\ts2\tb1\t50\t100\t\n"
                    "1\ts1\tb1\t200\t100\t-1\n")
    mapping = {**MAP, "timestamp": "t", "duration": "len", "feedback_type": "thumb"}
    frame = mapped.read(path, mapping, objectives="spotify")
    # gaps 50 s and 150 s against 100 s tracks; the last play has no gap
    np.testing.assert_array_equal(frame["pct_listening"], [0.5, 1.0, np.nan])
    np.testing.assert_array_equal(frame["feedback_type"], [1.0, np.nan, -1.0])
    assert frame["in_playlist"].isna().all()
    assert frame.attrs["report"]["unknown"] == ["in_playlist"]
    assert "is_skip" not in frame.columns
    explicit = mapped.read(path, mapping, objectives=["is_skip", "is_finish"])
    np.testing.assert_array_equal(explicit["is_finish"], [0.0, 1.0, np.nan])
    assert explicit["feedback_type"].tolist()[0] == 1.0  # the file's own field is kept


def test_parquet_with_views_likes_and_embeddings(tmp_path):
    path = tmp_path / "views.parquet"
    pd.DataFrame({"viewer": [1, 1], "clip": [5, 6], "maker": [9, 9],
                  "ts": pd.to_datetime(["2020-01-01 00:00:00", "2020-01-01 00:10:00"], utc=True),
                  "clicked": [1, 0], "watched": [30.0, 3.0], "length": [60.0, 60.0],
                  "liked": [1, 0]}).to_parquet(path)
    mapping = {"user_id": "viewer", "item_id": "clip", "artist_id": "maker", "timestamp": "ts",
               "click": "clicked", "play_time": "watched", "duration": "length", "like": "liked"}
    embeddings = pd.DataFrame([[0.0, 0.0], [3.0, 4.0]], index=[5, 6])
    frame = mapped.read(path, mapping, timestamp_format="iso", item_embeddings=embeddings)
    assert frame["timestamp"].tolist() == [1577836800, 1577837400]
    assert frame[["video_view", "time_spent", "play_rate", "feedback_type"]].values.tolist() == [
        [1.0, 30.0, 0.5, 1.0], [0.0, 0.0, 0.0, 0.0]]
    # second play is a new session (10 min gap) after a watched one: distance 5
    assert frame["novelty"].tolist() == [0.0, 5.0]
    assert frame["relevance"].tolist() == [0.0, pytest.approx(1 / 6)]


def test_skip_flags_give_pct_listening(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("u,i,a,t,s1,s2,s3,ns\n1,2,3,10,false,true,true,false\n")
    mapping = {"user_id": "u", "item_id": "i", "artist_id": "a", "timestamp": "t",
               "skip_1": "s1", "skip_2": "s2", "skip_3": "s3", "not_skipped": "ns"}
    assert mapped.read(path, mapping)["pct_listening"].tolist() == [0.25]


def test_unmapped_columns_named_like_ours_are_left_out(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("u,i,a,t,new_fan,note\n1,2,3,10,0.3,x\n")
    frame = mapped.read(path, {"user_id": "u", "item_id": "i", "artist_id": "a", "timestamp": "t"})
    assert frame["new_fan"].tolist() == [1.0] and frame["note"].tolist() == ["x"]
    assert frame.attrs["report"]["ignored_columns"] == ["new_fan"]


@pytest.mark.needs_shared_data
def test_real_sample_through_a_mapping(shared_data, tmp_path):
    # Last.fm-1K columns named through a mapping give the lastfm1k reader's history objectives
    path = tmp_path / "lfm1k.csv"
    raw = pd.read_csv(shared_data / "lastfm1k/userid-timestamp-artid-artname-traid-traname.sample.tsv",
                      sep="\t", header=None, names=["user", "ts", "amb", "artist", "tmb", "track"], quoting=3)
    raw.to_csv(path, index=False)
    frame = mapped.read(path, {"user_id": "user", "item_id": "track", "artist_id": "artist", "timestamp": "ts"},
                        timestamp_format="iso", objectives="mlhd")
    assert len(frame) == 5000
    u2 = frame[frame["user_id"] == "user_000002"]
    assert u2["new_fan"].tolist() == [1.0, 1.0, pytest.approx(np.exp(-1.0))]
