"""The Last.fm-1K reader: name fallback for empty MusicBrainz ids, ISO time, the real sample."""

import numpy as np
import pytest

from ms_bridge.datasets.formats import lastfm1k

SAMPLE = "lastfm1k/userid-timestamp-artid-artname-traid-traname.sample.tsv"


def test_ids_fall_back_to_names(tmp_path):
    path = tmp_path / "lfm1k.tsv"
    path.write_text("u1\t2009-01-01T00:00:40Z\tA-MBID\tAlpha\t\tSong\n"
                    "u1\t2009-01-01T00:00:00Z\t\tAlpha\tT-MBID\tSong\n"
                    "u1\t2009-01-01T00:00:20Z\t\tBeta\t\tSong \"live\"\n")
    frame = lastfm1k.read(path)
    assert frame["timestamp"].tolist() == [1230768000, 1230768020, 1230768040]
    assert frame["item_id"].tolist() == ["T-MBID", "name:Beta\x1fSong \"live\"", "name:Alpha\x1fSong"]
    assert frame["artist_id"].tolist() == ["name:Alpha", "name:Beta", "A-MBID"]
    by_name = lastfm1k.read(path, ids="name")
    assert by_name["artist_id"].tolist() == ["name:Alpha", "name:Beta", "name:Alpha"]
    # with names, both Alpha plays are one artist: the third event is a repeat
    assert by_name["new_fan"].tolist()[2] == pytest.approx(np.exp(-1.0))
    assert frame["new_fan"].tolist()[2] == 1.0


@pytest.mark.needs_shared_data
def test_real_sample(shared_data):
    frame = lastfm1k.read(shared_data / SAMPLE)
    assert len(frame) == 5000
    assert frame["user_id"].value_counts().to_dict() == {"user_000001": 4997, "user_000002": 3}
    assert frame["timestamp"].dtype == np.int64 and frame["timestamp"].is_monotonic_increasing
    assert frame["artist_mbid"].isna().sum() == 353 and frame["track_mbid"].isna().sum() == 1396
    assert frame["item_id"].notna().all() and frame["artist_id"].notna().all()
    for col in lastfm1k.OBJECTIVES:
        assert frame[col].dtype == np.float64, col
    # a name with a double quote is read verbatim (line 1491)
    assert (frame["artist_name"] == 'Johnny "Hammond" Smith').sum() >= 1
    # first line of the file: 2009-05-04T23:08:57Z, Deep Dish, no track MBID
    row = frame[frame["timestamp"] == 1241478537].iloc[0]
    assert row["artist_id"] == "f1b1cf71-bd35-4e99-8624-24a6e15f133a"
    assert row["item_id"] == "name:Deep Dish\x1fFuck Me Im Famous (Pacha Ibiza)-09-28-2007"
    # user_000002, by hand: Milkshake 06:04:00, Volcan Veins 06:07:10, Milkshake 06:11:16
    u2 = frame[frame["user_id"] == "user_000002"].reset_index(drop=True)
    assert u2["track_name"].tolist() == ["Milkshake", "Volcan Veins", "Milkshake"]
    assert u2["is_skip"].tolist()[:2] == [0.0, 0.0] and np.isnan(u2.loc[2, "is_skip"])
    assert u2["num_times_listening"].tolist() == [0.0, 0.0, 1.0]
    assert u2["new_fan"].tolist()[:2] == [1.0, 1.0]
    assert u2.loc[2, "new_fan"] == pytest.approx(np.exp(-1.0))  # one earlier Holy Fuck play, same day
