"""The multi-objective task: per-objective losses and metrics, masked by weights.

In the spirit of TF Recommenders' `Task`, a `MultiObjectiveTask` owns what a
model is trained and scored on, so every model (MS-Bridge and baselines) is
compiled the same way. Datasets from `ms_bridge.datasets.pipeline` yield
`(features, targets, weights)` where `weights[objective]` is 1 where the target
is known and 0 where it is unknown; Keras passes them as per-output sample
weights, so an unknown target moves neither the loss nor the metrics:

- each objective's loss is `sum_i w_i * l_i / sum_i w_i` over the batch
  (Keras reduction `"mean_with_sample_weight"`; a batch with no known target
  gives 0);
- RMSE and MAE are weighted metrics, i.e. `sum w * err / sum w` over the epoch;
- the total loss is `sum_k loss_weight_k * loss_k` (equal weights of 1 by
  default, as in the paper).

Example:
>>> from ms_bridge.datasets.spec import get_spec
>>> task = MultiObjectiveTask(get_spec("mlhd"))
>>> task.objectives
('pct_listening', 'is_finish', 'is_skip', 'new_fan', 'recurring_fan')
>>> import numpy as np
>>> out = task.evaluate({"is_skip": np.array([0.2, 0.9])}, {"is_skip": np.array([0.0, 1.0])},
...                     {"is_skip": np.array([1.0, 0.0])})
>>> round(out["is_skip_rmse"], 6), round(out["is_skip_mae"], 6), out["is_skip_count"]
(0.2, 0.2, 1)
"""

from __future__ import annotations

from typing import Mapping

import keras
import numpy as np

from ms_bridge.datasets.spec import DatasetSpec

LOSSES = ("mse", "bce")
_REDUCTION = "mean_with_sample_weight"


class MultiObjectiveTask:
    """Losses, loss weights and metrics of every objective of a `DatasetSpec`.

    Args:
        spec: the dataset's declaration; its objectives, in order, are the
            model's outputs.
        loss: `"mse"` (on scaled targets, the paper's choice) or `"bce"`
            (binary cross-entropy on the same [0, 1] targets).
        loss_weights: optional `{objective: weight >= 0}`; objectives not named
            keep weight 1. `None` gives equal weights.

    Example:
    >>> from ms_bridge.datasets.spec import get_spec
    >>> task = MultiObjectiveTask(get_spec("spotify"), loss_weights={"new_fan": 2.0})
    >>> task.loss_weights["new_fan"], task.loss_weights["pct_listening"]
    (2.0, 1.0)
    """

    def __init__(self, spec: DatasetSpec, loss: str = "mse",
                 loss_weights: Mapping[str, float] | None = None):
        if loss not in LOSSES:
            raise ValueError(f"loss {loss!r} not in {LOSSES}")
        self.spec = spec
        self.loss = loss
        self.objectives: tuple[str, ...] = spec.objective_names
        weights = {name: 1.0 for name in self.objectives}
        for name, value in (loss_weights or {}).items():
            if name not in weights:
                raise ValueError(f"loss_weights names {name!r}, not an objective of "
                                 f"{spec.name!r}: {self.objectives}")
            value = float(value)
            if not np.isfinite(value) or value < 0:
                raise ValueError(f"loss weight of {name!r} must be finite and >= 0, got {value!r}")
            weights[name] = value
        self.loss_weights: dict[str, float] = weights

    def losses(self) -> dict[str, keras.losses.Loss]:
        """One masked loss per objective (fresh objects on every call)."""
        if self.loss == "mse":
            return {n: keras.losses.MeanSquaredError(reduction=_REDUCTION, name=f"{n}_mse")
                    for n in self.objectives}
        return {n: keras.losses.BinaryCrossentropy(reduction=_REDUCTION, name=f"{n}_bce")
                for n in self.objectives}

    def metrics(self) -> dict[str, list[keras.metrics.Metric]]:
        """RMSE and MAE per objective; use them as *weighted* metrics so masks apply."""
        return {n: [keras.metrics.RootMeanSquaredError(name="rmse"),
                    keras.metrics.MeanAbsoluteError(name="mae")] for n in self.objectives}

    def compile(self, model: keras.Model, optimizer: keras.optimizers.Optimizer | str = "adam",
                **kwargs) -> keras.Model:
        """Compiles `model` with this task's losses, loss weights and metrics.

        The model must output a dict holding every objective of the spec.
        Extra keyword arguments go to `model.compile` (e.g. `jit_compile`).
        Returns the model.
        """
        names = _output_names(model)
        missing = [n for n in self.objectives if n not in names]
        if missing:
            raise ValueError(f"model {model.name!r} lacks outputs {missing}; it has {sorted(names)}")
        extra = sorted(set(names) - set(self.objectives))
        if extra:
            raise ValueError(f"model {model.name!r} has outputs {extra} that are not objectives of "
                             f"{self.spec.name!r}")
        model.compile(optimizer=optimizer, loss=self.losses(), loss_weights=dict(self.loss_weights),
                      weighted_metrics=self.metrics(), **kwargs)
        return model

    def evaluate(self, predictions: Mapping[str, np.ndarray], targets: Mapping[str, np.ndarray],
                 weights: Mapping[str, np.ndarray] | None = None) -> dict[str, float]:
        """Masked numpy metrics on the scaled scale, ignoring unknown targets.

        A target is unknown where its weight is 0 or where it is NaN. Returns
        `{objective}_rmse`, `{objective}_mae`, `{objective}_loss` (this task's
        loss) and `{objective}_count` (known targets) for every objective
        present in both `predictions` and `targets`; an objective with no
        known target gets NaN errors and count 0. `loss` is the weighted sum
        of the per-objective losses that are defined.
        """
        out: dict[str, float] = {}
        total, any_loss = 0.0, False
        for name in self.objectives:
            if name not in predictions or name not in targets:
                continue
            pred = np.asarray(predictions[name], dtype=np.float64).reshape(-1)
            true = np.asarray(targets[name], dtype=np.float64).reshape(-1)
            if pred.shape != true.shape:
                raise ValueError(f"{name!r}: {pred.shape[0]} predictions for {true.shape[0]} targets")
            mask = ~np.isnan(true)
            if weights is not None and name in weights:
                w = np.asarray(weights[name], dtype=np.float64).reshape(-1)
                if w.shape != true.shape:
                    raise ValueError(f"{name!r}: {w.shape[0]} weights for {true.shape[0]} targets")
                mask &= w > 0
            n = int(mask.sum())
            out[f"{name}_count"] = n
            if n == 0:
                out[f"{name}_rmse"] = out[f"{name}_mae"] = out[f"{name}_loss"] = float("nan")
                continue
            err = pred[mask] - true[mask]
            out[f"{name}_rmse"] = float(np.sqrt(np.mean(err ** 2)))
            out[f"{name}_mae"] = float(np.mean(np.abs(err)))
            out[f"{name}_loss"] = self._numpy_loss(pred[mask], true[mask])
            total += self.loss_weights[name] * out[f"{name}_loss"]
            any_loss = True
        out["loss"] = total if any_loss else float("nan")
        return out

    def _numpy_loss(self, pred: np.ndarray, true: np.ndarray) -> float:
        if self.loss == "mse":
            return float(np.mean((pred - true) ** 2))
        # Keras clips probabilities to [eps, 1 - eps] with eps = 1e-7.
        p = np.clip(pred, 1e-7, 1 - 1e-7)
        return float(np.mean(-(true * np.log(p) + (1 - true) * np.log(1 - p))))

    def get_config(self) -> dict:
        return {"spec": self.spec.name, "loss": self.loss, "loss_weights": dict(self.loss_weights)}


def _output_names(model: keras.Model) -> list[str]:
    outputs = model.output
    if not isinstance(outputs, dict):
        raise ValueError(f"model {model.name!r} must output a dict keyed by objective, "
                         f"got {type(outputs).__name__}")
    return list(outputs)
