"""save_model / load_serving: both formats reload to the same predictions; the served
MS-NSW utility equals a numpy computation by hand."""

import json

import keras
import numpy as np
import pytest

from ms_bridge import serving
from ms_bridge.datasets.spec import DatasetSpec, ObjectiveSpec
from ms_bridge.task import MultiObjectiveTask
from ms_bridge.training import PartitionedOptimizer, SparseAdagrad

SPEC = DatasetSpec(
    name="serve_toy", stakeholders=("user", "artist"),
    objectives=(ObjectiveSpec("pct_listening", "user", "bounded"),
                ObjectiveSpec("is_skip", "user", "binary"),
                ObjectiveSpec("new_fan", "artist", "bounded"),
                ObjectiveSpec("recurring_fan", "artist", "bounded")),
    engagement="pct_listening", positive_rule=("pct_listening", 0.5), kcore=0, side_features=("a", "b"))


def model_with(side: bool, history: int = 0) -> keras.Model:
    inputs = {n: keras.Input((), dtype="int32", name=n) for n in ("user_id", "item_id", "artist_id")}
    parts = [keras.layers.Embedding(12, 3, name=f"{n[:-3]}_embedding")(inputs[n]) for n in list(inputs)]
    if side:
        inputs["side"] = keras.Input((2,), dtype="float32", name="side")
        parts.append(inputs["side"])
    if history:
        inputs["recent_items"] = keras.Input((history,), dtype="int32", name="recent_items")
        recent = keras.layers.Embedding(12, 3, name="recent_embedding")(inputs["recent_items"])
        parts.append(keras.layers.GlobalAveragePooling1D()(recent))
    hidden = keras.layers.Dense(5, activation="tanh", name="user_bridge")(keras.layers.Concatenate()(parts))
    outputs = {o.name: keras.layers.Dense(1, activation="sigmoid", name=o.name)(hidden) for o in SPEC.objectives}
    return keras.Model(inputs, outputs)


def features(n: int, side: bool, history: int = 0) -> dict:
    rng = np.random.default_rng(1)
    out = {k: rng.integers(0, 12, n).astype(np.int32) for k in ("user_id", "item_id", "artist_id")}
    if side:
        out["side"] = rng.normal(size=(n, 2)).astype(np.float32)
    if history:
        out["recent_items"] = rng.integers(0, 12, (n, history)).astype(np.int32)
    return out


@pytest.mark.parametrize("side, history", [(False, 0), (True, 3)])
def test_both_formats_reload_to_the_same_predictions_and_utility(tmp_path, side, history):
    model = model_with(side, history)
    MultiObjectiveTask(SPEC).compile(model, PartitionedOptimizer(keras.optimizers.Adam(), SparseAdagrad(0.05)))
    x = features(9, side, history)
    expected = {k: np.asarray(v).reshape(-1) for k, v in model.predict(x, verbose=0).items()}

    folder = serving.save_model(model, tmp_path / "m", SPEC)
    assert (folder / "model.keras").is_file() and (folder / "saved_model" / "saved_model.pb").is_file()
    assert not [p for p in folder.iterdir() if p.name.startswith(".saving-")]
    meta = json.loads((folder / "serving.json").read_text())
    assert meta["inputs"] == ["user_id", "item_id", "artist_id"] + (["side", "recent_items"] if side else [])

    served = serving.load_serving(folder)
    reloaded = served.predict(x)
    weights = np.array([0.7, 0.3, 0.4, 0.6], dtype=np.float32)
    out = served.serve(x, weights)
    for name in SPEC.objective_names:
        np.testing.assert_allclose(reloaded[name], expected[name], rtol=1e-6)
        np.testing.assert_allclose(out[name], expected[name], rtol=1e-6)

    # By hand: MAUT per stakeholder over its own objectives, then sqrt of the product (S = 2).
    user = 0.7 * expected["pct_listening"] + 0.3 * expected["is_skip"]
    artist = 0.4 * expected["new_fan"] + 0.6 * expected["recurring_fan"]
    np.testing.assert_allclose(out["utility_user"], user, rtol=1e-6)
    np.testing.assert_allclose(out["utility_artist"], artist, rtol=1e-6)
    np.testing.assert_allclose(out["ms_nsw"], np.sqrt(user * artist), rtol=1e-5)


def test_zero_weight_for_a_stakeholder_gives_zero_welfare(tmp_path):
    served = serving.load_serving(serving.save_model(model_with(False), tmp_path / "m", SPEC))
    out = served.serve(features(4, False), [0.5, 0.5, 0.0, 0.0])
    np.testing.assert_array_equal(out["utility_artist"], 0.0)
    np.testing.assert_array_equal(out["ms_nsw"], 0.0)


def test_saving_again_replaces_the_artefacts(tmp_path):
    first, second = model_with(False), model_with(False)
    folder = serving.save_model(first, tmp_path / "m", SPEC)
    serving.save_model(second, folder, SPEC)
    x = features(5, False)
    served = serving.load_serving(folder)
    np.testing.assert_allclose(served.serve(x, [1, 0, 1, 0])["new_fan"],
                               second.predict(x, verbose=0)["new_fan"].reshape(-1), rtol=1e-6)


def test_errors_name_the_problem(tmp_path):
    served = serving.load_serving(serving.save_model(model_with(False), tmp_path / "m", SPEC))
    with pytest.raises(ValueError, match="3 values"):
        served.serve(features(2, False), [1.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="-1.0"):
        served.serve(features(2, False), [1.0, -1.0, 1.0, 0.0])
    with pytest.raises(ValueError, match="item_id"):
        served.serve({"user_id": [1], "artist_id": [1]}, [1, 1, 1, 1])
    with pytest.raises(ValueError, match="model.keras"):
        serving.load_serving(tmp_path / "nothing")
    full = model_with(False)
    partial = keras.Model(full.inputs, {"pct_listening": full.output["pct_listening"]})
    with pytest.raises(ValueError, match="is_skip"):
        serving.save_model(partial, tmp_path / "p", SPEC)
