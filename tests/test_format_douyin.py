"""The ICME-2019 Douyin reader: watch rules, like as feedback, side-field embeddings, the real sample."""

import numpy as np
import pytest

from ms_bridge.datasets.formats import douyin

SAMPLE = "icme2019_douyin/byterec_sample_1000.txt"


def test_watch_rules_on_a_small_log(tmp_path):
    path = tmp_path / "douyin.txt"
    path.write_text("1\t0\t5\t7\t0\t0\t1\t1\t-1\t3\t2000\t10\n"
                    "1\t0\t6\t8\t0\t0\t0\t0\t-1\t3\t1000\t20\n")
    frame = douyin.read(path)
    assert frame["timestamp"].tolist() == [1000, 2000]
    assert frame["artist_id"].tolist() == [8, 7]
    assert frame[["video_view", "time_spent", "play_rate", "feedback_type"]].values.tolist() == [
        [0.0, 0.0, 0.0, 0.0], [1.0, 10.0, 1.0, 1.0]]
    assert frame[["relevance", "novelty"]].isna().all().all()  # no embeddings: unknown
    strict = douyin.read(path, watch_rule="strict")
    np.testing.assert_array_equal(strict[["video_view", "time_spent", "play_rate"]].to_numpy(),
                                  [[1.0, np.nan, np.nan], [1.0, 10.0, 1.0]])


def test_given_item_embeddings(tmp_path):
    path = tmp_path / "douyin.txt"
    path.write_text("1\t0\t5\t7\t0\t0\t1\t0\t-1\t3\t1000\t10\n"
                    "1\t0\t6\t8\t0\t0\t1\t0\t-1\t3\t1100\t20\n")
    vectors = tmp_path / "emb.csv"
    vectors.write_text("item_id,e0,e1\n5,0,0\n6,3,4\n")
    frame = douyin.read(path, item_embeddings=vectors)
    assert frame["novelty"].tolist() == [0.0, 5.0]
    assert frame["has_history"].tolist() == [False, True]
    assert frame["relevance"].tolist() == [0.0, 0.0]  # both plays in one session: no previous session


@pytest.mark.needs_shared_data
def test_real_sample(shared_data):
    frame = douyin.read(shared_data / SAMPLE, embeddings="side_fields")
    assert len(frame) == 1000
    assert (frame["user_id"].nunique(), frame["item_id"].nunique(), frame["artist_id"].nunique()) == (946, 980, 961)
    for col in ("user_id", "item_id", "artist_id", "timestamp", "finish", "like", "duration_time"):
        assert frame[col].dtype == np.int64, col
    for col in douyin.OBJECTIVES:
        assert frame[col].dtype == np.float64 and frame[col].notna().all(), col
    assert frame["video_view"].mean() == pytest.approx(0.367)
    assert frame["feedback_type"].mean() == pytest.approx(0.012)
    # first line: uid 57384, item 43192, author 142828, not finished, 39 s long
    row = frame[frame["user_id"] == 57384].iloc[0]
    assert row[["item_id", "artist_id", "timestamp"]].tolist() == [43192, 142828, 53085993699]
    assert row[["video_view", "time_spent", "play_rate"]].tolist() == [0.0, 0.0, 0.0]
    # user 1775, four plays in four sessions (gaps > 5 min); the first three are finished,
    # channel 0 and 10 s long (same side-field vector), the last is 7 s long
    u = frame[frame["user_id"] == 1775].reset_index(drop=True)
    assert u["item_id"].tolist() == [184617, 301403, 1209083, 1209314]
    assert u["time_spent"].tolist() == [10.0, 10.0, 10.0, 0.0]
    assert u["session_id"].nunique() == 4
    assert u.loc[0, ["relevance", "novelty"]].tolist() == [0.0, 0.0] and not u.loc[0, "has_history"]
    assert u.loc[1, ["relevance", "novelty"]].tolist() == [1.0, 0.0] and u.loc[1, "has_history"]
    assert u.loc[3, "novelty"] > 0
    assert u.loc[3, "relevance"] == pytest.approx(1.0 / (1.0 + u.loc[3, "novelty"]))
