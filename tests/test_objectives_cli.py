"""`python -m experiments.objectives`: reads a log, writes ids, time and objectives atomically."""

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from experiments import objectives as cli
from ms_bridge.datasets.spec import SPECS

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPEC14 = ("pct_listening", "num_times_listening", "feedback_type", "in_playlist", "is_finish", "is_skip",
          "video_view", "time_spent", "play_rate", "relevance", "novelty", "new_fan", "recurring_fan",
          "consumption_diversity", "session_similarity")


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "experiments.objectives", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.needs_shared_data
def test_lfm1b_sample_to_parquet(shared_data, tmp_path):
    out = tmp_path / "mlhd.parquet"
    done = run_cli("--format=lfm1b", f"--input={shared_data / 'lfm1b' / 'LFM-1b_LEs.txt'}", f"--output={out}")
    assert done.returncode == 0, done.stderr
    table = pd.read_parquet(out)
    assert len(table) == 100_000
    assert table.columns[:5].tolist() == ["user_id", "item_id", "artist_id", "timestamp", "session_id"]
    written = [c for c in table.columns if c in SPEC14]
    assert set(written) == set(SPECS["mlhd"].objective_names) | {"num_times_listening"}
    for col in written:
        assert table[col].dtype == np.float64
    assert table["timestamp"].dtype == np.int64 and table["timestamp"].is_monotonic_increasing
    assert table["new_fan"].between(0, 1).all() and table["is_skip"].dropna().isin([0.0, 1.0]).all()
    assert "pct_listening" in done.stdout and "100000 rows" in done.stdout
    assert os.listdir(tmp_path) == ["mlhd.parquet"]  # no temporary file left behind
    assert oct(out.stat().st_mode & 0o777) != oct(0o600)


def test_csv_with_mapping_file_to_csv(tmp_path):
    log = tmp_path / "plays.csv"
    log.write_text("who,what,by,when,extra\nu,x,a,10,1\nu,y,a,100,2\n")
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"user_id": "who", "item_id": "what", "artist_id": "by", "timestamp": "when"}))
    out = tmp_path / "out.csv"
    done = run_cli("--format=csv", f"--input={log}", f"--output={out}", f"--mapping={mapping}",
                   "--options={\"objectives\": [\"new_fan\", \"recurring_fan\", \"is_skip\"]}", "--noraw_fields")
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(out)
    assert table.columns.tolist() == ["user_id", "item_id", "artist_id", "timestamp", "session_id",
                                      "new_fan", "recurring_fan", "is_skip"]
    assert table["is_skip"].tolist()[0] == 0.0 and np.isnan(table["is_skip"].tolist()[1])


def test_failed_read_leaves_no_output(tmp_path):
    log = tmp_path / "les.txt"
    log.write_text("1\t2\t3\t4\t100\n1\t2\t3\tx\t200\n")
    out = tmp_path / "out.csv"
    with pytest.raises(Exception, match="not an integer"):
        cli.run("lfm1b", str(log), str(out))
    assert sorted(os.listdir(tmp_path)) == ["les.txt"]


def test_atomic_write_replaces_and_cleans_up(tmp_path):
    out = tmp_path / "t.csv"
    out.write_text("old\n")
    cli.write_atomic(pd.DataFrame({"a": [1]}), out)
    assert out.read_text() == "a\n1\n" and os.listdir(tmp_path) == ["t.csv"]

    class Boom(pd.DataFrame):
        def to_csv(self, *args, **kwargs):
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        cli.write_atomic(Boom({"a": [2]}), out)
    assert out.read_text() == "a\n1\n" and os.listdir(tmp_path) == ["t.csv"]


@pytest.mark.parametrize("args,message", [
    (("lfm1b", "in.txt", "out.json"), "--output must end in"),
    (("nope", "in.txt", "out.csv"), "--format 'nope' unknown"),
    (("csv", "in.csv", "out.csv"), "needs --mapping"),
])
def test_bad_arguments(args, message):
    with pytest.raises(ValueError, match=message):
        cli.run(*args)
