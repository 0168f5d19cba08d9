"""The readers' registry and their refusal of malformed input (SPEC §4).

One test per malformed case, each on a small file written into tmp_path; the
error must name the file, the column, the number of bad rows and the first
offending values.
"""

import numpy as np
import pandas as pd
import pytest

from ms_bridge.datasets import formats
from ms_bridge.datasets.contract import DataContractError
from ms_bridge.datasets.formats import _common, _derive, douyin, kuairand, lastfm1k, lfm1b, mapped, mssd
from ms_bridge.datasets.spec import SPECS

MAP = {"user_id": "u", "item_id": "i", "artist_id": "a", "timestamp": "t"}


def write(path, text):
    path.write_text(text)
    return path


def test_registry_names_and_specs():
    assert sorted(formats.FORMATS) == ["csv", "douyin", "kuairand", "lastfm1k", "lfm1b", "mssd"]
    assert formats.FORMAT_SPEC == {"lfm1b": "mlhd", "lastfm1k": "mlhd", "mssd": "spotify_sessions",
                                   "douyin": "youku", "kuairand": "youku", "csv": None}
    for fmt, spec_name in formats.FORMAT_SPEC.items():
        if spec_name is not None:  # every format writes every objective of the spec it feeds
            assert set(SPECS[spec_name].objective_names) <= set(formats.FORMAT_OBJECTIVES[fmt]), fmt


def test_read_log_refuses_unknown_format_and_option(tmp_path):
    with pytest.raises(ValueError, match="unknown format 'mlhd'"):
        formats.read_log("mlhd", tmp_path / "x")
    with pytest.raises(ValueError, match=r"does not take option\(s\) \['watch_rule'\]"):
        formats.read_log("lfm1b", tmp_path / "x", watch_rule="finish")


# --------------------------------------------------------------------------- malformed input


def test_missing_column_is_refused(tmp_path):
    path = write(tmp_path / "log_0.csv", "session_id,session_position,track_id_clean,skip_1,skip_2,skip_3,"
                                         "hour_of_day,date\ns,1,t,True,True,True,3,2018-07-15\n")
    with pytest.raises(DataContractError) as error:
        mssd.read(path)
    assert error.value.source == str(path) and error.value.column == "not_skipped"
    assert "missing required column" in str(error.value)


def test_missing_mapped_column_is_refused(tmp_path):
    path = write(tmp_path / "plays.csv", "u,i,a\n1,2,3\n")
    with pytest.raises(DataContractError) as error:
        mapped.read(path, MAP)
    assert error.value.column == "t" and str(path) in str(error.value)


def test_bad_type_is_refused(tmp_path):
    path = write(tmp_path / "les.txt", "1\t2\t3\t4\t100\n1\t2\t3\tfour\t200\n1\t2\t3\t4.5\t300\n")
    with pytest.raises(DataContractError) as error:
        lfm1b.read(path)
    assert error.value.column == "item_id"
    assert error.value.n_rows == 2 and error.value.examples == ["four", "4.5"]
    assert "les.txt" in str(error.value) and "not an integer" in str(error.value)


def test_bad_boolean_is_refused(tmp_path):
    path = write(tmp_path / "log_0.csv", "session_id,session_position,track_id_clean,skip_1,skip_2,skip_3,"
                                         "not_skipped,hour_of_day,date\n"
                                         "s,1,t,True,True,True,false,3,2018-07-15\n"
                                         "s,2,t,maybe,True,True,false,3,2018-07-15\n")
    with pytest.raises(DataContractError) as error:
        mssd.read(path)
    assert (error.value.column, error.value.n_rows, error.value.examples) == ("skip_1", 1, ["maybe"])


def test_nan_id_is_refused(tmp_path):
    path = write(tmp_path / "les.txt", "1\t2\t3\t4\t100\n1\t\t3\t4\t200\n")
    with pytest.raises(DataContractError) as error:
        lfm1b.read(path)
    assert (error.value.column, error.value.n_rows, error.value.examples) == ("artist_id", 1, ["row 1"])


def test_nan_id_in_mapped_csv_is_refused(tmp_path):
    path = write(tmp_path / "plays.csv", "u,i,a,t\n1,2,3,10\n1,,3,20\n1,,4,30\n")
    with pytest.raises(DataContractError) as error:
        mapped.read(path, MAP)
    assert (error.value.column, error.value.n_rows) == ("item_id", 2)
    assert error.value.examples == ["row 1", "row 2"]


def test_unparseable_timestamp_is_refused(tmp_path):
    path = write(tmp_path / "lfm1k.tsv", "user_1\t2009-05-04T23:08:57Z\t\tA\t\tx\n"
                                         "user_1\tyesterday\t\tA\t\ty\n")
    with pytest.raises(DataContractError) as error:
        lastfm1k.read(path)
    assert (error.value.column, error.value.n_rows, error.value.examples) == ("timestamp", 1, ["yesterday"])


def test_unparseable_date_is_refused(tmp_path):
    path = write(tmp_path / "log_0.csv", "session_id,session_position,track_id_clean,skip_1,skip_2,skip_3,"
                                         "not_skipped,hour_of_day,date\n"
                                         "s,1,t,True,True,True,false,3,15/07/2018\n")
    with pytest.raises(DataContractError) as error:
        mssd.read(path)
    assert (error.value.column, error.value.examples) == ("date", ["15/07/2018"])


def test_out_of_range_objective_is_refused(tmp_path):
    path = write(tmp_path / "plays.csv", "u,i,a,t,thumbs\n1,2,3,10,1\n1,2,3,20,2\n1,2,3,30,-1\n")
    with pytest.raises(DataContractError) as error:
        mapped.read(path, {**MAP, "feedback_type": "thumbs"})
    assert (error.value.column, error.value.n_rows, error.value.examples) == ("feedback_type", 1, [2.0])
    assert "outside its range" in str(error.value)


def test_negative_watch_time_is_refused(tmp_path):
    path = write(tmp_path / "log.csv", "user_id,video_id,is_click,play_time_ms,duration_ms,time_ms\n"
                                       "1,2,1,-5000,10000,1000\n1,3,0,10,10000,2000\n")
    with pytest.raises(DataContractError) as error:
        kuairand.read(path)
    assert (error.value.column, error.value.n_rows, error.value.examples) == ("time_spent", 1, [-5.0])


def test_bad_flag_is_refused(tmp_path):
    path = write(tmp_path / "douyin.txt", "1\t0\t5\t7\t0\t0\t2\t0\t-1\t3\t1000\t10\n")
    with pytest.raises(DataContractError) as error:
        douyin.read(path)
    assert (error.value.column, error.value.examples) == ("finish", [2])


@pytest.mark.parametrize("reader,text", [
    (lfm1b.read, ""),
    (douyin.read, ""),
    (lastfm1k.read, ""),
    (mssd.read, "session_id,session_position,track_id_clean,skip_1,skip_2,skip_3,not_skipped,hour_of_day,date\n"),
    (kuairand.read, "user_id,video_id,is_click,play_time_ms,duration_ms\n"),
])
def test_empty_file_is_refused(tmp_path, reader, text):
    path = write(tmp_path / "empty.txt", text)
    with pytest.raises(DataContractError, match="empty"):
        reader(path)


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(DataContractError, match="does not exist"):
        lfm1b.read(tmp_path / "absent.txt")


def test_row_with_too_many_fields_is_refused(tmp_path):
    path = write(tmp_path / "les.txt", "1\t2\t3\t4\t100\n1\t2\t3\t4\t200\t9\n")
    with pytest.raises(DataContractError, match="Expected 5 fields in line 2, saw 6"):
        lfm1b.read(path)


@pytest.mark.parametrize("call,message", [
    (lambda p: lfm1b.read(p, session_gap=0), "session_gap must be positive, got 0"),
    (lambda p: lastfm1k.read(p, ids="isrc"), "ids must be one of"),
    (lambda p: douyin.read(p, watch_rule="guess"), "watch_rule must be one of"),
    (lambda p: kuairand.read(p, missing_time="now"), "missing_time must be one of"),
    (lambda p: mapped.read(p, {"user_id": "u"}), r"missing \['item_id', 'artist_id', 'timestamp'\]"),
    (lambda p: mapped.read(p, {**MAP, "colour": "c"}), r"mapping names \['colour'\] are not ours"),
    (lambda p: mapped.read(p, MAP, objectives=["feedback_type"]), "needs a mapped 'like' or 'dislike'"),
    (lambda p: mapped.read(p, MAP, objectives="nope"), "not a DatasetSpec"),
])
def test_invalid_options_raise_value_error(tmp_path, call, message):
    path = write(tmp_path / "x.csv", "u,i,a,t\n1,2,3,4\n")
    with pytest.raises(ValueError, match=message):
        call(path)


# --------------------------------------------------------------------------- shared rules


def test_view_objectives_rule():
    out = _derive.view_objectives([1, 1, 0, 1, np.nan], [30.0, 90.0, 12.0, 5.0, 1.0], [60.0, 60.0, 60.0, 0.0, 9.0])
    assert out["video_view"].tolist()[:4] == [1.0, 1.0, 0.0, 1.0]
    np.testing.assert_allclose(out["time_spent"], [30.0, 90.0, 0.0, 5.0, np.nan])
    # clipped at 1 (a rewatch), 0 without a click, unknown without a duration or a click flag
    np.testing.assert_allclose(out["play_rate"], [0.5, 1.0, 0.0, np.nan, np.nan])


def test_douyin_watch_rules():
    finish, duration = np.array([1.0, 0.0]), np.array([12.0, 30.0])
    lower = douyin.watch_objectives(finish, duration, "finish")
    assert lower.to_dict("list") == {"video_view": [1.0, 0.0], "time_spent": [12.0, 0.0], "play_rate": [1.0, 0.0]}
    strict = douyin.watch_objectives(finish, duration, "strict")
    np.testing.assert_allclose(strict.to_numpy(), [[1.0, 12.0, 1.0], [1.0, np.nan, np.nan]])


def test_timestamp_formats():
    raw = pd.DataFrame({"t": ["1241478537", "2009-05-04T23:08:57Z", "04-05-09 23:08"]})
    assert _common.parse_timestamps(raw.iloc[:1], "t", "unix", "x").tolist() == [1241478537]
    assert _common.parse_timestamps(raw.iloc[1:2], "t", "iso", "x").tolist() == [1241478537]
    assert _common.parse_timestamps(raw.iloc[2:], "t", "%d-%m-%y %H:%M", "x").tolist() == [1241478480]
    ms = pd.DataFrame({"t": [1241478537999]})
    assert _common.parse_timestamps(ms, "t", "unix_ms", "x").tolist() == [1241478537]


def test_item_side_embeddings_one_hot_and_z_scores():
    frame = pd.DataFrame({"item_id": [1, 2, 3, 1], "channel": [0, 1, 0, 0], "duration": [0.0, np.e - 1, 0.0, 0.0]})
    emb = _common.item_side_embeddings(frame, ["channel"], ["duration"])
    assert emb.index.tolist() == [1, 2, 3]
    # log1p durations 0, 1, 0: mean 1/3, population std sqrt(2)/3
    z = (np.array([0.0, 1.0, 0.0]) - 1 / 3) / (np.sqrt(2) / 3)
    np.testing.assert_allclose(emb.to_numpy(), np.c_[[1.0, 0.0, 1.0], [0.0, 1.0, 0.0], z])


def test_duration_table_from_file(tmp_path):
    path = write(tmp_path / "tracks.csv", "track_id,duration_ms\n4,200000\n5,31000\n")
    assert _common.load_durations(path).to_dict() == {4: 200.0, 5: 31.0}
    bad = write(tmp_path / "bad.csv", "track_id,duration\n4,0\n")
    with pytest.raises(DataContractError, match="positive"):
        _common.load_durations(bad)
