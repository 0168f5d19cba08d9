"""Train registered models over seeds and evaluate Task 1 (SPEC §10).

One loop serves every table: an experiment lists `RunSpec`s (a row slug, a
registry model and config overrides), `run_all` trains each through the shared
harness for every seed, and `task1_table` turns the runs into the table with
mean, std over seeds and paired t-test p-values against a reference row.

Example (needs a prepared dataset and registered models):
    runs = run_all([RunSpec("ms_bridge_ncf", "ms_bridge_ncf")], prepared, seeds=[0], train=TrainConfig())
    table = task1_table(runs, prepared.spec, reference="ms_bridge_ncf")
"""

from __future__ import annotations

import dataclasses
import pathlib
import time
from typing import Any, Sequence

import numpy as np
import pandas as pd

from ms_bridge import metrics, registry, serving, training
from ms_bridge.datasets.spec import DatasetSpec
from ms_bridge.task import MultiObjectiveTask


@dataclasses.dataclass(frozen=True)
class RunSpec:
    """One table row: `slug` names it in tables and folders, `model` is a registry name."""

    slug: str
    model: str
    config: dict = dataclasses.field(default_factory=dict)
    label: str = ""


@dataclasses.dataclass
class ModelRun:
    """What one row's training produced over all seeds."""

    spec: RunSpec
    seed_metrics: list[dict[str, float]] = dataclasses.field(default_factory=list)
    per_user: list[dict[str, pd.DataFrame]] = dataclasses.field(default_factory=list)
    train_seconds: list[float] = dataclasses.field(default_factory=list)
    epochs: list[int] = dataclasses.field(default_factory=list)

    def per_user_mean(self, objective: str, metric: str) -> pd.Series:
        """Per-user metric averaged over seeds (the unit of the paired t-test)."""
        columns = [frame[objective][metric] for frame in self.per_user]
        return pd.concat(columns, axis=1).mean(axis=1)


def test_targets(frame: pd.DataFrame, spec: DatasetSpec) -> dict[str, np.ndarray]:
    return {name: frame[name].to_numpy(dtype=np.float64) for name in spec.objective_names}


def run_one(run: RunSpec, prepared, seed: int, train: "training.TrainConfig", model_dir: pathlib.Path | None,
            log_dir: pathlib.Path | None) -> tuple[dict, dict, float, int]:
    """Trains `run` once; returns (metrics, per-user errors per objective, seconds, epochs)."""
    spec = prepared.spec
    builder = registry.get_model(run.model)
    config = dict(run.config)
    config.setdefault("seed", seed)
    task = MultiObjectiveTask(spec)
    train_cfg = dataclasses.replace(train, seed=seed,
                                    log_dir=str(log_dir / run.slug / f"seed{seed}") if log_dir else None)
    start = time.perf_counter()
    result = training.fit(lambda: builder(spec, prepared.vocab, config), prepared, task, train_cfg)
    seconds = time.perf_counter() - start
    predictions = training.predict(result.model, prepared.test, spec, batch_size=train.batch_size)
    targets = test_targets(prepared.test, spec)
    scores = metrics.task1_metrics(targets, predictions)
    users = prepared.test["user_id"].to_numpy()
    per_user = {name: metrics.per_user_errors(users, targets[name], predictions[name]) for name in targets}
    if model_dir is not None:
        serving.save_model(result.model, model_dir / run.slug, spec)
    return scores, per_user, seconds, result.epochs_trained


def run_all(runs: Sequence[RunSpec], prepared, seeds: Sequence[int], train: "training.TrainConfig",
            model_dir: pathlib.Path | None = None, log_dir: pathlib.Path | None = None,
            progress: bool = True) -> dict[str, ModelRun]:
    """Trains every row for every seed; saves the first seed's model of each row under `model_dir`."""
    slugs = [r.slug for r in runs]
    if len(set(slugs)) != len(slugs):
        raise ValueError(f"duplicate row slugs in {slugs}")
    results: dict[str, ModelRun] = {}
    total = len(runs) * len(seeds)
    done = 0
    for run in runs:
        record = ModelRun(run)
        for i, seed in enumerate(seeds):
            scores, per_user, seconds, epochs = run_one(
                run, prepared, seed, train, model_dir if i == 0 else None, log_dir)
            record.seed_metrics.append(scores)
            record.per_user.append(per_user)
            record.train_seconds.append(seconds)
            record.epochs.append(epochs)
            done += 1
            if progress:
                print(f"[{done}/{total}] {run.slug} seed={seed} {seconds:.1f}s {epochs} epochs", flush=True)
        results[run.slug] = record
    return results


def task1_table(runs: dict[str, ModelRun], spec: DatasetSpec, reference: str | None,
                metric_names: Sequence[str] = ("rmse", "mae"), labels: dict[str, str] | None = None
                ) -> pd.DataFrame:
    """One row per model: `<objective>_<metric>` means, `_std` twins and `<objective>_p`.

    `p` is the paired t-test over test users of per-user RMSE (or the first metric
    when RMSE is not listed) between the row and `reference`; NaN on the reference row.
    """
    if reference is not None and reference not in runs:
        raise ValueError(f"reference row {reference!r} not among {sorted(runs)}")
    test_metric = "rmse" if "rmse" in metric_names else None
    rows = []
    for slug, run in runs.items():
        row: dict[str, Any] = {"model": slug, "label": (labels or {}).get(slug, slug)}
        for objective in spec.objective_names:
            for m in metric_names:
                mean, std = metrics.mean_std([s[f"{objective}_{m}"] for s in run.seed_metrics])
                row[f"{objective}_{m}"] = mean
                row[f"{objective}_{m}_std"] = std
            if test_metric:
                row[f"{objective}_p"] = (float("nan") if reference is None or slug == reference else
                                         metrics.paired_t_test(runs[reference].per_user_mean(objective, test_metric),
                                                               run.per_user_mean(objective, test_metric)))
        row["train_seconds"] = float(np.mean(run.train_seconds))
        rows.append(row)
    return pd.DataFrame(rows)
