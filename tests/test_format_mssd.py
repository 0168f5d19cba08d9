"""The MSSD reader: session as user, dates in two spellings, skip flags, track features."""

import numpy as np
import pandas as pd
import pytest

from ms_bridge.datasets.formats import UNKNOWN_ARTIST, mssd

HEADER = ("session_id,session_position,session_length,track_id_clean,skip_1,skip_2,skip_3,not_skipped,"
          "hour_of_day,date,context_type\n")


def test_two_date_spellings_flags_and_features(tmp_path):
    log = tmp_path / "log_0.csv"
    log.write_text(HEADER +
                   "s1,1,3,t1,true,true,true,false,5,2018-07-15,radio\n"
                   "s1,2,3,t2,False,False,False,True,5,2018-07-15,user_collection\n"
                   "s1,3,3,t1,False,True,True,False,6,2018-07-15,radio\n"
                   "s2,1,1,t2,False,False,True,False,23,14-07-18,catalog\n")
    tf = tmp_path / "tf_0.csv"
    tf.write_text("track_id,duration,acousticness,mode\nt1,200.5,0.25,major\n")
    frame = mssd.read(log, track_features=tf, in_playlist_from_context=True)
    assert frame["user_id"].tolist() == ["s2", "s1", "s1", "s1"]
    # 2018-07-14 23:00 and 2018-07-15 05:00 / 06:00 UTC
    assert frame["timestamp"].tolist() == [1531609200, 1531630800, 1531630800, 1531634400]
    assert frame["session_id"].tolist() == [1, 0, 0, 0]
    assert (frame["artist_id"] == UNKNOWN_ARTIST).all()
    assert frame["pct_listening"].tolist() == [0.75, 0.05, 1.0, 0.25]
    assert frame["num_times_listening"].tolist() == [0.0, 0.0, 0.0, 1.0]
    assert frame["in_playlist"].tolist() == [0.0, 0.0, 1.0, 0.0]
    assert frame[["feedback_type", "new_fan", "recurring_fan"]].isna().all().all()
    assert frame["skip_1"].dtype == bool
    np.testing.assert_array_equal(frame["acousticness"], [np.nan, 0.25, np.nan, 0.25])
    assert frame["mode"].tolist()[1] == "major"
    assert frame.attrs["report"] == {"rows_without_track_features": 2}


def test_artist_table_gives_fan_objectives(tmp_path):
    log = tmp_path / "log_0.csv"
    log.write_text(HEADER + "s1,1,2,t1,False,False,False,True,5,2018-07-15,radio\n"
                            "s1,2,2,t2,False,False,False,True,5,2018-07-15,radio\n")
    artists = pd.DataFrame({"track_id": ["t1", "t2"], "artist_id": ["a", "a"]})
    frame = mssd.read(log, artists=artists)
    assert frame["artist_id"].tolist() == ["a", "a"]
    np.testing.assert_allclose(frame["new_fan"], [1.0, np.exp(-1.0)])


@pytest.mark.needs_shared_data
def test_real_sample(shared_data):
    frame = mssd.read(shared_data / "mssd" / "log_very_small.csv")
    assert len(frame) == 201
    assert frame["user_id"].nunique() == 11 and frame["session_id"].nunique() == 11
    assert frame["item_id"].nunique() == 175
    assert frame["timestamp"].dtype == np.int64
    for col in mssd.OBJECTIVES:
        assert frame[col].dtype == np.float64, col
    assert (frame["date"] == "14-07-18").sum() == 28
    # file line 82: session 0_00018b58, position 1, skip_3 only, 2018-07-15 13h
    row = frame[(frame["user_id"] == "0_00018b58-deb8-4f98-ac5e-d7e01b346130")
                & (frame["session_position"] == 1)].iloc[0]
    assert row["timestamp"] == 1531659600 and row["pct_listening"] == 0.75
    # first line: not skipped, 2018-07-15 16h
    row = frame[(frame["user_id"] == "0_00006f66-33e5-4de7-a324-2d18e439fc1e")
                & (frame["session_position"] == 1)].iloc[0]
    assert (row["timestamp"], row["pct_listening"]) == (1531670400, 1.0)
    # rows with no skip flag set are unknown; 9 in the sample
    assert frame["pct_listening"].isna().sum() == 9
    # within a session, rows stay in position order; repeats counted within the session
    assert (frame.groupby("session_id")["session_position"].diff().dropna() > 0).all()
    reference = frame.groupby(["user_id", "item_id"]).cumcount()
    np.testing.assert_array_equal(frame["num_times_listening"], reference.to_numpy(dtype=float))
    assert frame[["feedback_type", "in_playlist", "new_fan", "recurring_fan"]].isna().all().all()
