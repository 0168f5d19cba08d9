"""The KuaiRand reader: click rule, time columns, creators, the real sample."""

import warnings

import numpy as np
import pandas as pd
import pytest

from ms_bridge.datasets.contract import DataContractError
from ms_bridge.datasets.formats import UNKNOWN_ARTIST, kuairand

SAMPLE = "kuairand/kuairand_sample.csv"


def test_time_columns_and_creators(tmp_path):
    path = tmp_path / "log_0.csv"
    path.write_text("user_id,video_id,is_click,play_time_ms,duration_ms,date,hourmin\n"
                    "1,10,1,4000,8000,20220422,1300\n"
                    "1,11,0,500,8000,20220422,1200\n")
    frame = kuairand.read(path, creators=pd.DataFrame({"video_id": [10, 11], "author_id": [7, 9]}))
    assert frame["timestamp"].tolist() == [1650628800, 1650632400]  # 2022-04-22 12:00 and 13:00 UTC
    assert frame["artist_id"].tolist() == [9, 7]
    assert frame[["video_view", "time_spent", "play_rate"]].values.tolist() == [[0.0, 0.0, 0.0], [1.0, 4.0, 0.5]]
    assert frame.attrs["report"] == {"timestamp": "date+hourmin", "artist_id": "creators"}


def test_time_ms_and_author_column(tmp_path):
    path = tmp_path / "log_0.csv"
    path.write_text("user_id,video_id,author_id,is_click,play_time_ms,duration_ms,time_ms\n"
                    "1,10,5,1,4000,8000,1650628800999\n")
    frame = kuairand.read(path)
    assert frame["timestamp"].tolist() == [1650628800] and frame["artist_id"].tolist() == [5]


def test_file_without_time(tmp_path):
    path = tmp_path / "log_0.csv"
    path.write_text("user_id,video_id,is_click,play_time_ms,duration_ms\n1,10,1,4000,8000\n2,10,0,1,8000\n")
    with pytest.warns(UserWarning, match="timestamps are row positions"):
        frame = kuairand.read(path)
    assert frame["timestamp"].tolist() == [0, 1] and (frame["artist_id"] == UNKNOWN_ARTIST).all()
    with pytest.raises(DataContractError, match="no time column"):
        kuairand.read(path, missing_time="error")


@pytest.mark.needs_shared_data
def test_real_sample(shared_data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        frame = kuairand.read(shared_data / SAMPLE, embeddings="side_fields")
    assert len(frame) == 200
    assert (frame["user_id"].nunique(), frame["item_id"].nunique()) == (145, 29)
    assert frame["timestamp"].tolist() == list(range(200))
    assert frame["user_id"].dtype == np.int64 and frame["item_id"].dtype == np.int64
    for col in kuairand.OBJECTIVES:
        assert frame[col].dtype == np.float64, col
    assert frame["video_view"].mean() == pytest.approx(0.16)
    assert frame.attrs["report"] == {"timestamp": "row_order", "artist_id": "unknown"}
    # data row 0: user 0, video 5543, no click (863 ms of autoplay): no view, 0 s
    assert frame.loc[0, ["user_id", "item_id", "video_view", "time_spent", "play_rate"]].tolist() == [
        0, 5543, 0.0, 0.0, 0.0]
    assert frame.loc[0, "play_time_ms"] == 863.0
    # row 9: clicked, 52269 ms of a 30066 ms video: play rate clipped at 1
    assert frame.loc[9, ["user_id", "time_spent", "play_rate"]].tolist() == [874, 52.269, 1.0]
    # row 31: clicked, 9048 ms of 169500 ms
    assert frame.loc[31, "play_rate"] == pytest.approx(9048 / 169500)
    # row 50: clicked but duration 0: play rate unknown
    assert frame.loc[50, "time_spent"] == 7.631 and np.isnan(frame.loc[50, "play_rate"])
    assert (frame["novelty"] >= 0).all() and frame["relevance"].between(0, 1).all()
