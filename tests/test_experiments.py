"""End-to-end runs of the Task 1 experiments on tiny synthetic data."""

import json
import subprocess
import sys

import pandas as pd

from ms_bridge.datasets.spec import get_spec


def run_experiment(name, tmp_path, *args):
    command = [sys.executable, "-m", f"experiments.{name}", f"--output_dir={tmp_path}", "--seeds=2",
               "--epochs=1", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def test_table2_writes_tables_models_and_config(tmp_path):
    done = run_experiment("table2", tmp_path, "--dataset=mlhd", "--models=no_bridge_ncf,ms_bridge_ncf")
    out = tmp_path / "table2" / "mlhd"
    table = pd.read_csv(out / "table.csv")
    spec = get_spec("mlhd")
    assert list(table["model"]) == ["no_bridge_ncf", "ms_bridge_ncf"]
    for objective in spec.objective_names:
        for suffix in ("rmse", "mae", "p", "rmse_std", "mae_std"):
            assert f"{objective}_{suffix}" in table.columns
    # the reference row has no p-value; the other row has one in [0, 1]
    assert table.loc[1, [f"{o}_p" for o in spec.objective_names]].isna().all()
    assert table.loc[0, [f"{o}_p" for o in spec.objective_names]].between(0, 1).all()
    assert (table[[f"{o}_rmse" for o in spec.objective_names]] > 0).all().all()
    assert (table[[f"{o}_rmse_std" for o in spec.objective_names]] >= 0).all().all()
    auc = pd.read_csv(out / "table_auc_f1.csv")
    assert {f"{o}_auc" for o in spec.objective_names} <= set(auc.columns)
    for ext in ("md", "tex"):
        assert "MS-Bridge" in (out / f"table.{ext}").read_text()
    config = json.loads((out / "config.json").read_text())
    assert config["flags"]["dataset"] == "mlhd" and config["seed"] == [0, 1]
    assert config["data_fingerprint"]
    metrics = json.loads((out / "metrics" / "ms_bridge_ncf.json").read_text())
    assert len(metrics["seed_metrics"]) == 2
    for slug in ("no_bridge_ncf", "ms_bridge_ncf"):
        assert (out / "models" / slug / "model.keras").is_file()
        assert (out / "models" / slug / "saved_model" / "saved_model.pb").is_file()
    assert any((out / "logs").rglob("events.out.tfevents*"))
    assert "MS-Bridge (NCF)" in done.stdout


def test_config_file_is_overridden_by_explicit_flags(tmp_path):
    config = tmp_path / "run.json"
    config.write_text(json.dumps({"dataset": "youku", "epochs": 5, "models": "no_bridge_ncf"}))
    run_experiment("table2", tmp_path, f"--config={config}", "--nosave_models")
    written = json.loads((tmp_path / "table2" / "youku" / "config.json").read_text())["flags"]
    assert written["dataset"] == "youku" and written["models"] == "no_bridge_ncf"
    assert written["epochs"] == 1  # the explicit flag wins over the file
    assert not (tmp_path / "table2" / "youku" / "models").exists()


def test_unknown_config_key_is_refused(tmp_path):
    config = tmp_path / "bad.json"
    config.write_text(json.dumps({"epoch": 3}))
    done = subprocess.run([sys.executable, "-m", "experiments.table2", f"--config={config}",
                           f"--output_dir={tmp_path}"], capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    assert "unknown keys ['epoch']" in done.stderr


def test_improvement_row_is_signed_relative_gain_over_best_other_row():
    from experiments.task1_report import improvement
    table = pd.DataFrame({"model": ["a", "b", "ref"], "x_rmse": [0.50, 0.40, 0.38], "x_auc": [0.7, 0.8, 0.6]})
    assert improvement(table, "x_rmse", "ref", lower_is_better=True) == "+5.00%"
    assert improvement(table, "x_auc", "ref", lower_is_better=False) == "-25.00%"
