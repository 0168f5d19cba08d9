"""experiments.data_stats: Table 11-15 style statistics, hand-checked and end to end."""

import numpy as np
import pandas as pd
import pytest

from experiments import data_stats
from ms_bridge.datasets.spec import ObjectiveSpec, get_spec


def test_counts_table_by_hand():
    log = pd.DataFrame({"user_id": [1, 1, 2, 3], "item_id": [5, 6, 5, 5], "artist_id": [9, 9, 9, 8]})
    row = data_stats.counts_table(log, "toy").loc["toy"]
    assert (row["users"], row["items"], row["artists"], row["interactions"]) == (3, 2, 2, 4)
    assert row["sparsity_pct"] == pytest.approx(100 * 4 / 6)


def test_objective_table_by_hand():
    spec = get_spec("spotify").with_objectives(
        [ObjectiveSpec("num_times_listening", "user", "count"), ObjectiveSpec("feedback_type", "user", "ternary"),
         ObjectiveSpec("new_fan", "artist", "bounded")],
        engagement="num_times_listening", positive_rule=("num_times_listening", 1.0))
    counts = np.arange(101, dtype=float)  # q99 of 0..100 is 99
    log = pd.DataFrame({"num_times_listening": counts,
                        "feedback_type": np.tile([-1.0, 0.0, 1.0, 1.0], 26)[:101],
                        "new_fan": np.where(np.arange(101) < 100, 0.5, np.nan)})
    table = data_stats.objective_table(log, spec)
    n = table.loc["num_times_listening"]
    expected = np.minimum(counts / 99.0, 1.0)
    assert n["mean"] == pytest.approx(expected.mean())
    assert n["std"] == pytest.approx(expected.std())
    assert n["median"] == pytest.approx(50 / 99)
    assert n["raw_mean"] == pytest.approx(50.0)
    f = table.loc["feedback_type"]
    scaled = (np.tile([-1.0, 0.0, 1.0, 1.0], 26)[:101] + 1) / 2
    assert f["mean"] == pytest.approx(scaled.mean()) and f["p25"] == pytest.approx(np.quantile(scaled, 0.25))
    assert table.loc["new_fan", "known"] == 100 and table.loc["new_fan", "mean"] == pytest.approx(0.5)
    assert list(table["type"]) == ["Numeric", "Numeric", "Numeric"]


def test_objective_table_refuses_a_frame_without_objectives():
    with pytest.raises(ValueError, match="youku"):
        data_stats.objective_table(pd.DataFrame({"x": [1.0]}), get_spec("youku"))


def _config(tmp_path, **changes):
    config = {"dataset": "youku", "data_path": "", "format": "", "mapping": "", "scale": "small",
              "output_dir": str(tmp_path)}
    config.update(changes)
    return config


def test_run_on_synthetic_data_writes_both_tables(tmp_path):
    tables = data_stats.run(_config(tmp_path), seed=0)
    out = tmp_path / "data_stats" / "youku"
    for stem in ("counts", "table"):
        assert (out / f"{stem}.md").is_file() and (out / f"{stem}.csv").is_file()
    assert (out / "config.json").is_file()
    written = pd.read_csv(out / "table.csv", index_col=0)
    assert list(written.index) == ["Video View", "Time Spent", "Play Rate", "Relevance", "Novelty"]
    np.testing.assert_allclose(written["mean"], tables["table"]["mean"])
    assert tables["counts"].loc["youku", "interactions"] == 24_000
    assert tables["counts"].loc["youku", "items"] <= 229


@pytest.mark.needs_shared_data
def test_run_on_a_real_log(tmp_path, shared_data):
    path = shared_data / "lastfm1k" / "userid-timestamp-artid-artname-traid-traname.sample.tsv"
    tables = data_stats.run(_config(tmp_path, dataset="mlhd", data_path=str(path), format="lastfm1k"), seed=0)
    assert tables["counts"].loc["mlhd", "interactions"] > 0
    assert {"% Listening", "New Fan"} <= set(tables["table"].index)
    assert tables["table"]["mean"].between(0, 1).all()
