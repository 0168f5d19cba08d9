"""The LFM-1b reader on small hand-made logs and on the real sample."""

import numpy as np
import pytest

from ms_bridge.datasets.formats import lfm1b

LES = "lfm1b/LFM-1b_LEs.txt"


def test_time_order_ids_and_gap_rule(tmp_path):
    # newest first, as LFM-1b stores it; two users, one tie (same second) kept in file order
    path = tmp_path / "les.txt"
    path.write_text("1\t10\t100\t7\t1260\n"
                    "1\t10\t100\t8\t1020\n"
                    "1\t11\t101\t9\t1000\n"
                    "2\t10\t100\t7\t1000\n"
                    "2\t10\t100\t8\t1000\n")
    frame = lfm1b.read(path, durations={7: 300, 8: 200, 9: 100})
    assert frame[["user_id", "item_id", "timestamp"]].values.tolist() == [
        [1, 9, 1000], [2, 7, 1000], [2, 8, 1000], [1, 8, 1020], [1, 7, 1260]]
    assert frame["user_id"].dtype == np.int64 and frame["timestamp"].dtype == np.int64
    # user 1: gaps 20 and 240 seconds, the last play has none
    user1 = frame[frame["user_id"] == 1]
    np.testing.assert_array_equal(user1["is_skip"], [1.0, 0.0, np.nan])
    np.testing.assert_array_equal(user1["pct_listening"], [0.2, 1.0, np.nan])
    np.testing.assert_array_equal(user1["is_finish"], [0.0, 1.0, np.nan])
    # user 2: artist 10 twice in the same second, the second after the first
    user2 = frame[frame["user_id"] == 2]
    np.testing.assert_allclose(user2["new_fan"], [1.0, np.exp(-1.0)])
    assert user1["new_fan"].tolist()[:2] == [1.0, 1.0]


@pytest.mark.needs_shared_data
def test_real_sample(shared_data):
    frame = lfm1b.read(shared_data / LES)
    assert len(frame) == 100_000
    assert frame.columns[:6].tolist() == ["user_id", "artist_id", "album_id", "item_id", "timestamp", "session_id"]
    for col in lfm1b.OBJECTIVES:
        assert frame[col].dtype == np.float64, col
    assert (frame["user_id"].nunique(), frame["artist_id"].nunique(), frame["item_id"].nunique()) == (17, 5095, 29331)
    assert frame["timestamp"].is_monotonic_increasing
    assert frame["num_times_listening"].notna().all() and frame["new_fan"].notna().all()
    # the last play of each session has no gap: unknown
    last = frame.groupby("session_id").tail(1).index
    assert frame.loc[last, "is_skip"].isna().all()

    # user 49581918's first plays (raw lines sorted by time), by hand:
    # t=1335993546 track 24441 artist 3744; next play 293 s later in the same session
    user = frame[frame["user_id"] == 49581918].reset_index(drop=True)
    assert len(user) == 254
    assert user.loc[0, ["item_id", "artist_id", "timestamp"]].tolist() == [24441, 3744, 1335993546]
    assert user.loc[0, "is_skip"] == 0.0
    # track 24441 is played once in the sample: its median gap (293 s) is its duration
    assert user.loc[0, ["is_finish", "pct_listening", "new_fan", "num_times_listening"]].tolist() == [1.0, 1.0, 1.0, 0.0]
    # second play of artist 3744, 293 s after the first: n = 1, d = 1 day
    assert user.loc[1, "new_fan"] == pytest.approx(np.exp(-1.0))
    assert user.loc[1, "recurring_fan"] == pytest.approx(np.exp(-1.0))
    # seventh play (t=1335995500) is artist 3744's third; the next play is 22088 s later
    assert user.loc[6, "new_fan"] == pytest.approx(np.exp(-2.0))
    assert np.isnan(user.loc[6, "is_skip"])


@pytest.mark.needs_shared_data
def test_real_sample_with_a_duration_table(shared_data, tmp_path):
    table = tmp_path / "durations.csv"
    table.write_text("track_id,duration\n24441,400\n24440,200\n")
    frame = lfm1b.read(shared_data / LES, durations=table)
    user = frame[frame["user_id"] == 49581918].reset_index(drop=True)
    # gaps 293 s and 256 s against durations 400 s and 200 s
    assert user.loc[0, "pct_listening"] == pytest.approx(293 / 400)
    assert user.loc[0, "is_finish"] == 0.0  # 293 < 0.9 * 400
    assert user.loc[1, ["pct_listening", "is_finish"]].tolist() == [1.0, 1.0]
