"""Saving trained models for reuse and serving.

`save_model(model, folder, spec)` writes

- `folder/model.keras`: the Keras model (architecture, weights, compile
  config), reloadable with `keras.saving.load_model`;
- `folder/saved_model/`: a TensorFlow SavedModel whose `serving_default`
  signature takes the model's inputs (`user_id`, `item_id`, `artist_id` int32
  of shape [n], plus `side` float32 [n, n_side] and `recent_items` int32
  [n, L] when the model has them) and `objective_weights` float32
  [n_objectives] in the spec's objective order, and returns every objective
  ([n]), `utility_<stakeholder>` (MAUT, [n]) and `ms_nsw` ([n]), the
  MS-NSW `(prod_s U_s)^(1/S)` of those utilities (`ms_bridge.welfare`'s
  `keras.ops` twins);
- `folder/serving.json`: objective and stakeholder names and the inputs.

Example:
>>> folder = save_model(model, "results/models/ms_bridge", spec)      # doctest: +SKIP
>>> served = load_serving(folder)                                     # doctest: +SKIP
>>> out = served.serve({"user_id": [1], "item_id": [2], "artist_id": [3]},
...                    objective_weights=[0.25] * 4 + [0.5, 0.5])      # doctest: +SKIP
>>> sorted(out)[:2]                                                   # doctest: +SKIP
['feedback_type', 'in_playlist']
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import os
import pathlib
import shutil
import tempfile
from typing import Any, Mapping, Sequence

import keras
import numpy as np
import tensorflow as tf

import ms_bridge.training  # noqa: F401  (registers the harness' optimizers for loading)
from ms_bridge import welfare
from ms_bridge.datasets.spec import DatasetSpec

KERAS_FILE = "model.keras"
SAVED_MODEL_DIR = "saved_model"
META_FILE = "serving.json"
_ID_INPUTS = ("user_id", "item_id", "artist_id")
_OPTIONAL_INPUTS = {"side": tf.float32, "recent_items": tf.int32}


def _model_inputs(model: keras.Model) -> dict[str, Any]:
    if isinstance(model.input, dict):
        return dict(model.input)
    return {t.name: t for t in model.inputs}


def _input_specs(model: keras.Model) -> list[tf.TensorSpec]:
    inputs = _model_inputs(model)
    specs = []
    for name in _ID_INPUTS:
        if name not in inputs:
            raise ValueError(f"model {model.name!r} lacks input {name!r}; it has {sorted(inputs)}")
        specs.append(tf.TensorSpec([None], tf.int32, name=name))
    for name, dtype in _OPTIONAL_INPUTS.items():
        if name in inputs:
            specs.append(tf.TensorSpec([None, inputs[name].shape[-1]], dtype, name=name))
    unknown = sorted(set(inputs) - set(_ID_INPUTS) - set(_OPTIONAL_INPUTS))
    if unknown:
        raise ValueError(f"model {model.name!r} has inputs {unknown} outside the model contract")
    return specs


class ServingModule(tf.Module):
    """A `tf.Module` holding the model and its serving function.

    Args:
        model: a model following the contract (dict output per objective).
        spec: the dataset's declaration (objective order, stakeholders).
    """

    def __init__(self, model: keras.Model, spec: DatasetSpec):
        super().__init__(name="ms_bridge_serving")
        outputs = model.output
        missing = [n for n in spec.objective_names if not isinstance(outputs, dict) or n not in outputs]
        if missing:
            raise ValueError(f"model {model.name!r} lacks outputs {missing} of dataset {spec.name!r}")
        self.model = model
        self._objectives = spec.objective_names
        self._groups = [(s, [i for i, o in enumerate(spec.objectives) if o.stakeholder == s])
                        for s in spec.stakeholders]
        self.input_specs = _input_specs(model)
        self._input_names = [s.name for s in self.input_specs]
        weights_spec = tf.TensorSpec([len(self._objectives)], tf.float32, name="objective_weights")
        self.serve = tf.function(self._serve, input_signature=self.input_specs + [weights_spec])

    def _serve(self, *args):
        features = dict(zip(self._input_names, args[:-1]))
        objective_weights = args[-1]
        predictions = self.model(features, training=False)
        out = {name: tf.reshape(tf.cast(predictions[name], tf.float32), [-1]) for name in self._objectives}
        stacked = tf.stack([out[name] for name in self._objectives], axis=-1)
        utilities = []
        for stakeholder, index in self._groups:
            u = welfare.ops_maut(tf.gather(stacked, index, axis=-1), tf.gather(objective_weights, index))
            out[f"utility_{stakeholder}"] = u
            utilities.append(u)
        out["ms_nsw"] = welfare.ops_nsw(tf.stack(utilities, axis=-1))
        return out


@dataclasses.dataclass
class ServingBundle:
    """A saved model reloaded both ways.

    Attributes:
        keras_model: `folder/model.keras` loaded (not compiled).
        saved_model: the loaded SavedModel object.
        objectives: objective names, the order of `objective_weights`.
        stakeholders: stakeholder names (`utility_<name>` outputs).
        inputs: names of the signature's feature inputs.
    """

    keras_model: keras.Model
    saved_model: Any
    objectives: tuple[str, ...]
    stakeholders: tuple[str, ...]
    inputs: tuple[str, ...]

    @property
    def signature(self):
        return self.saved_model.signatures["serving_default"]

    def serve(self, features: Mapping[str, Any], objective_weights: Sequence[float]) -> dict[str, np.ndarray]:
        """Calls the SavedModel signature; returns numpy arrays."""
        missing = [n for n in self.inputs if n not in features]
        if missing:
            raise ValueError(f"features lack {missing}; the signature takes {list(self.inputs)}")
        weights = np.asarray(objective_weights, dtype=np.float32).reshape(-1)
        if weights.shape[0] != len(self.objectives):
            raise ValueError(f"objective_weights has {weights.shape[0]} values, expected "
                             f"{len(self.objectives)} for {list(self.objectives)}")
        if np.any(weights < 0) or not np.all(np.isfinite(weights)):
            raise ValueError(f"objective_weights must be finite and >= 0, got {weights.tolist()}")
        args = {}
        for name in self.inputs:
            dtype = np.float32 if name == "side" else np.int32
            args[name] = tf.constant(np.asarray(features[name], dtype=dtype))
        out = self.signature(objective_weights=tf.constant(weights), **args)
        return {name: value.numpy() for name, value in out.items()}

    def predict(self, features: Mapping[str, Any], batch_size: int = 4096) -> dict[str, np.ndarray]:
        """Objective predictions of the reloaded Keras model, as [n] arrays."""
        out = self.keras_model.predict({k: np.asarray(v) for k, v in features.items()},
                                       batch_size=batch_size, verbose=0)
        return {name: np.asarray(out[name]).reshape(-1) for name in self.objectives}


def save_model(model: keras.Model, folder: str | os.PathLike, spec: DatasetSpec) -> pathlib.Path:
    """Writes `model.keras`, `saved_model/` and `serving.json` under `folder`.

    Each artefact is written to a temporary name in `folder` and moved into
    place, so an interrupted save never leaves a half-written one behind.
    Returns the folder.
    """
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    module = ServingModule(model, spec)
    meta = {"objectives": list(spec.objective_names), "stakeholders": list(spec.stakeholders),
            "dataset": spec.name, "inputs": [s.name for s in module.input_specs],
            "outputs": list(spec.objective_names) + [f"utility_{s}" for s in spec.stakeholders] + ["ms_nsw"]}
    with tempfile.TemporaryDirectory(dir=folder, prefix=".saving-") as tmp:
        tmp = pathlib.Path(tmp)
        model.save(tmp / KERAS_FILE)
        tf.saved_model.save(module, str(tmp / SAVED_MODEL_DIR),
                            signatures={"serving_default": module.serve.get_concrete_function()})
        (tmp / META_FILE).write_text(json.dumps(meta, indent=1))
        for name in (KERAS_FILE, SAVED_MODEL_DIR, META_FILE):
            target = folder / name
            if target.is_dir():
                shutil.rmtree(target)
            os.replace(tmp / name, target)
    return folder


def _register_custom_objects() -> None:
    # Custom layers register themselves with Keras when their modules are imported.
    for module in ("ms_bridge.layers", "ms_bridge.model"):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as error:
            if error.name != module:
                raise


def load_serving(folder: str | os.PathLike) -> ServingBundle:
    """Loads what `save_model` wrote; raises ValueError naming a missing file."""
    folder = pathlib.Path(folder)
    for name in (KERAS_FILE, SAVED_MODEL_DIR, META_FILE):
        if not (folder / name).exists():
            raise ValueError(f"{folder / name} is missing; was the folder written by save_model?")
    _register_custom_objects()
    meta = json.loads((folder / META_FILE).read_text())
    keras_model = keras.saving.load_model(folder / KERAS_FILE, compile=False)
    saved = tf.saved_model.load(str(folder / SAVED_MODEL_DIR))
    return ServingBundle(keras_model=keras_model, saved_model=saved, objectives=tuple(meta["objectives"]),
                         stakeholders=tuple(meta["stakeholders"]), inputs=tuple(meta["inputs"]))
