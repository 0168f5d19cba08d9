"""Shared body of the Task 1 tables (2, 6, 7 and the AUC/F1 tables 16–18)."""

from __future__ import annotations

import dataclasses
from typing import Any, Sequence

import numpy as np
import pandas as pd

from experiments import common
from ms_bridge import evaluation, registry, reporting, training
from ms_bridge.datasets.spec import DatasetSpec
from ms_bridge.metrics import LOWER_IS_BETTER

SIGNIFICANCE = 0.05
#: length of the `recent_items` history prepared for every row (MoSE reads it; others ignore it)
HISTORY_LENGTH = 10


def row(name: str, slug: str | None = None, label: str | None = None, **config) -> evaluation.RunSpec:
    """A table row for registry model `name` (optionally under another slug and with config overrides)."""
    info_label = label or registry.get_model(name).label
    return evaluation.RunSpec(slug=slug or name, model=name, config=config, label=info_label)


def display_table(table: pd.DataFrame, spec: DatasetSpec, metric_names: Sequence[str],
                  reference: str | None = None) -> pd.DataFrame:
    """`mean ± std` cells; `*` marks a row whose per-user RMSE differs from the reference row's by a
    paired t-test at p <= 0.05 (on both its RMSE and MAE cells). With a reference, a last row gives
    the paper's "Improvement": the reference's relative gain over the best other row, in % (negative
    when another row is better)."""
    out = pd.DataFrame({"Model": table["label"]})
    gains = {}
    for objective in spec.objectives:
        for m in metric_names:
            column = f"{objective.name}_{m}"
            mean, std = table[column], table[f"{column}_std"]
            p = table.get(f"{objective.name}_p", pd.Series(np.nan, index=table.index))
            star = np.where(p <= SIGNIFICANCE, "*", "")
            header = f"{objective.label} {m.upper()}"
            out[header] = [f"{a:.4f} ± {b:.4f}{s}" for a, b, s in zip(mean, std, star)]
            if reference is not None and len(table) > 1:
                gains[header] = improvement(table, column, reference, lower_is_better=m in LOWER_IS_BETTER)
    if gains:
        out = pd.concat([out, pd.DataFrame([{"Model": f"Improvement of {reference} (%)", **gains}])],
                        ignore_index=True)
    return out


def improvement(table: pd.DataFrame, column: str, reference: str, lower_is_better: bool) -> str:
    """Relative gain of the reference row over the best other row, as a signed percentage."""
    ours = float(table.loc[table["model"] == reference, column].iloc[0])
    others = table.loc[table["model"] != reference, column].dropna()
    if others.empty or np.isnan(ours):
        return "n/a"
    best = others.min() if lower_is_better else others.max()
    if best == 0:
        return "n/a"
    gain = (best - ours) / abs(best) if lower_is_better else (ours - best) / abs(best)
    return f"{100 * gain:+.2f}%"


def train_config(config: dict[str, Any], history_length: int = 0) -> training.TrainConfig:
    return training.TrainConfig(epochs=config["epochs"], batch_size=config["batch_size"],
                                learning_rate=config["learning_rate"], patience=config["patience"],
                                strategy=config["strategy"], history_length=history_length, verbose=0)


def run_task1_experiment(name: str, config: dict[str, Any], rows: Sequence[evaluation.RunSpec],
                         reference: str | None, caption: str, extra_columns: pd.DataFrame | None = None) -> pd.DataFrame:
    """Loads data, trains every row over the seeds, writes the tables; returns the raw table."""
    watch = common.Stopwatch()
    if reference not in {r.slug for r in rows}:
        print(f"reference row {reference!r} is not among the rows: no p-values")
        reference = None
    out_dir = common.output_folder(name, config)
    history_length = max([HISTORY_LENGTH] + [int(r.config.get("history_length", 0)) for r in rows])
    frame, prepared = common.prepare_data(config, history_length=history_length)
    spec = prepared.spec
    seeds = list(range(config["seeds"]))
    runs = evaluation.run_all(rows, prepared, seeds, train_config(config, history_length),
                              model_dir=out_dir / "models" if config["save_models"] else None,
                              log_dir=out_dir / "logs")
    labels = {r.slug: r.label for r in rows}
    table = evaluation.task1_table(runs, spec, reference=reference, labels=labels)
    if extra_columns is not None:
        table = table.merge(extra_columns, on="model", how="left")
    auc_f1 = evaluation.task1_table(runs, spec, reference=None, metric_names=("auc", "f1"), labels=labels)
    display = display_table(table, spec, ("rmse", "mae"), reference)
    write_tables(out_dir, "table", table, display, caption)
    write_tables(out_dir, "table_auc_f1", auc_f1, display_table(auc_f1, spec, ("auc", "f1"), reference),
                 caption + " — AUC and F1")
    for slug, run in runs.items():
        reporting.write_json(out_dir / "metrics" / f"{slug}.json", {
            "model": run.spec.model, "config": run.spec.config, "seeds": seeds,
            "seed_metrics": run.seed_metrics, "train_seconds": run.train_seconds, "epochs": run.epochs})
    reporting.write_config(out_dir, flags=config, seed=seeds, data_fingerprint=reporting.data_fingerprint(frame))
    reporting.write_json(out_dir / "run.json", {
        "experiment": name, "rows": [dataclasses.asdict(r) for r in rows], "data": prepared.summary(),
        "wall_seconds": watch.seconds()})
    print(f"wrote {out_dir} in {watch.seconds():.0f}s")
    print(reporting.to_markdown(display.set_index("Model"), caption))
    return table


def write_tables(out_dir, name: str, raw: pd.DataFrame, display: pd.DataFrame, caption: str) -> None:
    """`<name>.csv` holds the raw numbers (one row per model); `.md` and `.tex` the display cells."""
    display = display.set_index("Model")
    texts = {"csv": raw.to_csv(index=False),
             "md": reporting.to_markdown(display, caption),
             "tex": reporting.to_latex(display, caption, label=f"tab:{out_dir.name}:{name}")}
    for ext, text in texts.items():
        reporting.atomic_write_text(out_dir / f"{name}.{ext}", text)
