"""Synthetic generators: schema, determinism, calibration to Tables 12-15, and conditions C1/C2."""

import numpy as np
import pandas as pd
import pytest

from ms_bridge import objectives
from ms_bridge.datasets import synthetic
from ms_bridge.datasets.contract import validate_interactions
from ms_bridge.datasets.spec import get_spec

NAMES = ("spotify", "spotify_sessions", "mlhd", "youku")

# Appendix A, Tables 12-15: means of the objectives (scaled as SPEC §2, time_spent raw seconds).
TABLE_MEANS = {
    "spotify": {"pct_listening": 0.731, "num_times_listening": 0.528, "feedback_type": 0.771,
                "in_playlist": 0.304, "new_fan": 0.556, "recurring_fan": 0.65},
    "spotify_sessions": {"pct_listening": 0.727, "num_times_listening": 0.511, "feedback_type": 0.757,
                         "in_playlist": 0.330, "new_fan": 0.570, "recurring_fan": 0.660},
    "mlhd": {"pct_listening": 0.958, "is_finish": 0.847, "is_skip": 0.02, "new_fan": 0.950,
             "recurring_fan": 0.698},
    "youku": {"video_view": 0.268, "time_spent": 11.662, "play_rate": 0.194, "relevance": 0.312,
              "novelty": 0.538},
}
SPANS = {"spotify": ("2020-02-14", "2020-02-21"), "spotify_sessions": ("2020-11-01", "2020-12-01"),
         "mlhd": ("2012-01-01", "2013-10-01"), "youku": ("2019-07-29", "2019-08-05")}


@pytest.fixture(scope="module")
def frames():
    return {name: synthetic.generate(name, "small", seed=0) for name in NAMES}


def scaled(values: pd.Series, scaling: str) -> np.ndarray:
    y = values.dropna().to_numpy(dtype=float)
    if scaling == "ternary":
        return (y + 1) / 2
    if scaling in ("q99", "log1p_q99"):
        return np.minimum(y / np.quantile(y, 0.99), 1.0)
    return y


def residual(frame: pd.DataFrame, column: str, iterations: int = 15) -> pd.Series:
    """Value minus user and item effects (two-way demeaning by alternating projections)."""
    r = frame[column].astype(float) - frame[column].mean()
    for _ in range(iterations):
        r = r - r.groupby(frame["user_id"]).transform("mean")
        r = r - r.groupby(frame["item_id"]).transform("mean")
    return r


@pytest.mark.parametrize("name", NAMES)
def test_schema_and_contract(frames, name):
    frame, spec = frames[name], get_spec(name)
    assert list(frame.columns[:5]) == ["user_id", "item_id", "artist_id", "timestamp", "session_id"]
    for objective in spec.objectives:
        assert frame[objective.name].dtype == np.float64
    ranges = {o.name: o.raw_range for o in spec.objectives}
    assert validate_interactions(frame, source=f"synthetic:{name}", objective_ranges=ranges) is frame
    assert frame["timestamp"].is_monotonic_increasing
    start, end = (int(pd.Timestamp(d, tz="UTC").timestamp()) for d in SPANS[name])
    assert frame["timestamp"].min() >= start and frame["timestamp"].max() < end
    # Each item belongs to exactly one artist.
    assert (frame.groupby("item_id")["artist_id"].nunique() == 1).all()
    size = synthetic.CONFIGS[name].sizes["small"]
    assert len(frame) == size.n_rows and frame["user_id"].nunique() == size.n_users
    # NaN only where the real format lacks the value: MLHD's gap objectives at a session's end.
    unknown = frame[list(spec.objective_names)].isna().mean()
    if name == "mlhd":
        assert set(unknown[unknown > 0].index) == {"pct_listening", "is_finish", "is_skip"}
        last_of_session = ~frame.duplicated(["user_id", "session_id"], keep="last")
        assert frame.loc[last_of_session, "is_skip"].isna().all()
        assert unknown.max() < 0.2
    else:
        assert unknown.max() == 0


def test_deterministic_for_a_seed():
    a = synthetic.generate("spotify", seed=3)
    b = synthetic.generate("spotify", seed=3)
    c = synthetic.generate("spotify", seed=4)
    pd.testing.assert_frame_equal(a, b)
    assert not a[["item_id", "timestamp"]].equals(c[["item_id", "timestamp"]])


@pytest.mark.parametrize("name", NAMES)
def test_means_match_tables_12_to_15(frames, name):
    frame, spec = frames[name], get_spec(name)
    for objective in spec.objectives:
        target = TABLE_MEANS[name][objective.name]
        if objective.name == "time_spent":
            assert abs(frame["time_spent"].mean() / target - 1) <= 0.10, frame["time_spent"].mean()
            continue
        mean = scaled(frame[objective.name], objective.scaling).mean()
        if name.startswith("spotify") and objective.name == "recurring_fan":
            # SPEC §5 gives RecurringFan <= NewFan row by row (d_last <= d_first), so Table 12/13's
            # RecurringFan mean above the NewFan mean cannot be reproduced (docs/synthetic_data.md).
            assert (frame["recurring_fan"] <= frame["new_fan"] + 1e-12).all()
            continue
        assert abs(mean - target) <= 0.05, (objective.name, mean, target)


@pytest.mark.parametrize("name", ["spotify", "spotify_sessions"])
def test_history_objectives_come_from_the_history(frames, name):
    frame = frames[name]
    # A first play of an artist is also a first play of each of its items.
    first_artist_play = frame["new_fan"] == 1.0
    assert (frame.loc[first_artist_play, "num_times_listening"] == 0).all()
    # Counts include the warm-up history before the window, so they are >= the in-window counts.
    in_window = objectives.num_times_listening(frame[["user_id", "item_id", "timestamp"]])
    assert (frame["num_times_listening"] >= in_window).all()
    assert (frame["num_times_listening"] > in_window).mean() > 0.5
    # Repeats: users replay items.
    assert frame.duplicated(["user_id", "item_id"]).mean() > 0.3


def test_mlhd_and_youku_objectives_recompute_exactly(frames):
    mlhd = frames["mlhd"]
    pd.testing.assert_frame_equal(objectives.fan_objectives(mlhd), mlhd[["new_fan", "recurring_fan"]])
    gaps = objectives.gap_objectives(mlhd)
    pd.testing.assert_frame_equal(gaps[["is_skip", "is_finish", "pct_listening"]],
                                  mlhd[["is_skip", "is_finish", "pct_listening"]])
    youku = frames["youku"]
    video = objectives.video_objectives(youku, youku.attrs["item_embeddings"])
    pd.testing.assert_frame_equal(video[["relevance", "novelty"]], youku[["relevance", "novelty"]])


def test_youku_embeddings_side_features_and_play_rate(frames):
    youku = frames["youku"]
    embeddings = youku.attrs["item_embeddings"]
    assert set(embeddings) == set(range(229)) and all(v.shape == (16,) for v in embeddings.values())
    for k in range(4):
        assert youku[f"user_feature_{k}"].groupby(youku["user_id"]).nunique().max() == 1
    no_click = youku["video_view"] == 0
    assert (youku.loc[no_click, ["time_spent", "play_rate"]] == 0).all().all()
    np.testing.assert_allclose(youku["play_rate"], np.minimum(youku["time_spent"] / youku["duration"], 1))


def test_long_tail_artist_popularity(frames):
    plays = frames["spotify"]["artist_id"].value_counts().to_numpy()
    top = plays[: max(1, len(plays) // 10)].sum() / plays.sum()
    assert top > 0.4  # the top 10% of artists take a large share of plays


def test_five_core_keeps_most_rows(frames):
    for name in ("spotify", "spotify_sessions", "mlhd"):
        frame = frames[name]
        keep = np.ones(len(frame), dtype=bool)
        while True:
            sub = frame[keep]
            ok = (sub.groupby("user_id")["item_id"].transform("size") >= 5) & \
                 (sub.groupby("item_id")["user_id"].transform("size") >= 5)
            if ok.all():
                break
            keep[np.flatnonzero(keep)[~ok.to_numpy()]] = False
        assert keep.mean() > 0.8, (name, keep.mean())


@pytest.mark.parametrize("name,user_objective,artist_objective", [
    ("spotify", "pct_listening", "new_fan"),
    ("spotify_sessions", "pct_listening", "recurring_fan"),
    ("mlhd", "is_finish", "recurring_fan"),
    ("youku", "time_spent", "novelty"),
])
def test_c1_user_and_artist_objectives_covary_given_ids(frames, name, user_objective, artist_objective):
    frame = frames[name].dropna(subset=[user_objective, artist_objective])
    r = np.corrcoef(residual(frame, user_objective), residual(frame, artist_objective))[0, 1]
    # |r| * sqrt(n) is far above what independent residuals would give (about 1).
    assert abs(r) * np.sqrt(len(frame)) > 8, r


@pytest.mark.parametrize("name,user_objective,artist_objective", [
    ("spotify", "pct_listening", "new_fan"),
    ("spotify_sessions", "pct_listening", "recurring_fan"),
    ("mlhd", "is_finish", "recurring_fan"),
])
def test_c2_covariance_differs_across_popularity(frames, name, user_objective, artist_objective):
    frame = frames[name].dropna(subset=[user_objective, artist_objective]).reset_index(drop=True)
    product = (residual(frame, user_objective) * residual(frame, artist_objective)).to_numpy()
    plays = frame.groupby("artist_id")["user_id"].transform("size")
    popular = (plays >= plays.median()).to_numpy()
    users = frame["user_id"].to_numpy()

    def covariance_and_se(mask):
        # Mean of residual products, with a standard error clustered by user (rows of a user are not
        # independent).
        p = product[mask]
        sums = pd.Series(p - p.mean()).groupby(users[mask]).sum().to_numpy()
        return p.mean(), np.sqrt((sums ** 2).sum()) / len(p)

    (c_pop, se_pop), (c_niche, se_niche) = covariance_and_se(popular), covariance_and_se(~popular)
    z = (c_pop - c_niche) / np.hypot(se_pop, se_niche)
    assert abs(z) > 3, (c_pop, c_niche, z)


def test_invalid_arguments_name_the_value():
    with pytest.raises(ValueError, match="nope"):
        synthetic.generate("nope")
    with pytest.raises(ValueError, match="huge"):
        synthetic.generate("spotify", scale="huge")
    with pytest.raises(ValueError, match="-1"):
        synthetic.generate("spotify", seed=-1)


def test_youku_paper_scale_counts():
    frame = synthetic.generate("youku", scale="paper", seed=0)
    assert len(frame) == 99_999 and frame["user_id"].nunique() == 51_419
    assert frame["item_id"].nunique() <= 229


@pytest.mark.slow
def test_spotify_paper_scale_counts():
    frame = synthetic.generate("spotify", scale="paper", seed=0)
    assert len(frame) == 970_013 and frame["user_id"].nunique() == 294_469
    assert frame["item_id"].nunique() <= 81_948
