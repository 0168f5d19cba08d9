"""Shared pieces of the baseline tests: a toy problem with known structure, the check that a
baseline learns it, and small fixed inputs with numpy references.

Test helpers, not library code. The test modules import it as `baseline_toy`: pytest's default
`prepend` import mode puts `tests/` (no `__init__.py`) on `sys.path` before importing them.

A model's learning check is two lines in its test module:

    trained = trained_on_toy(build_mmoe, {"embedding_dim": 8})   # module-scoped fixture

    def test_mmoe_learns_beyond_the_training_mean(trained):
        assert_learns(trained)
"""

from __future__ import annotations

from typing import Any, Mapping

import keras
import numpy as np
import pytest

from ms_bridge.datasets.spec import DatasetSpec, ObjectiveSpec

#: A model learns when its validation masked MSE is below this share of the masked MSE of
#: predicting each objective's training mean (docs/baselines.md; measured 0.38-0.58).
LEARNS_MARGIN = 0.8


def toy_problem(spec: DatasetSpec, n_users: int = 150, n_items: int = 200, n_artists: int = 30,
                n_examples: int = 6000, latent_dim: int = 4, mask_rate: float = 0.2,
                history_length: int = 0, noise: float = 0.1, seed: int = 0):
    """A small synthetic problem with known structure, for checking that a baseline learns.

    Users and items get latent vectors (items near their artist's vector) and biases; each
    objective k is `sigmoid(s_k * (b_u + b_i + u.i) + c_k) + noise`, clipped to [0, 1], with
    signs `s_k` alternating so that some objectives conflict. Interactions are sampled from a
    softmax of the affinity, so a user's history (`recent_items`, most recent last, 0-padded)
    tells about their taste. A `mask_rate` share of the targets is unknown (weight 0).

    Returns `(features, targets, weights, vocab)` as numpy dicts; ids are 1-based (0 = OOV).

    >>> from ms_bridge.datasets.spec import get_spec
    >>> x, y, w, vocab = toy_problem(get_spec("mlhd"), n_examples=100)
    >>> x["user_id"].shape, sorted(y) == sorted(get_spec("mlhd").objective_names)
    ((100,), True)
    """
    rng = np.random.default_rng(seed)
    artist_vec = rng.normal(0, 1, (n_artists, latent_dim))
    item_artist = rng.integers(0, n_artists, n_items)
    item_vec = artist_vec[item_artist] + rng.normal(0, 0.5, (n_items, latent_dim))
    user_vec = rng.normal(0, 1, (n_users, latent_dim))
    user_bias, item_bias = rng.normal(0, 0.8, n_users), rng.normal(0, 0.8, n_items)
    affinity = user_vec @ item_vec.T / np.sqrt(latent_dim)          # (users, items)

    # Sample each user's ordered sequence from softmax(affinity) so histories carry taste.
    per_user = n_examples // n_users + 1
    probs = np.exp(2.0 * affinity)
    probs /= probs.sum(1, keepdims=True)
    cum = probs.cumsum(1)
    draws = rng.random((n_users, per_user))
    seq = np.minimum((draws[:, :, None] > cum[:, None, :]).sum(-1), n_items - 1)  # (users, per_user)
    users = np.repeat(np.arange(n_users), per_user)
    items = seq.reshape(-1)
    keep = rng.permutation(len(users))[:n_examples]

    signal = user_bias[users] + item_bias[items] + 1.5 * affinity[users, items]
    targets, weights = {}, {}
    for k, name in enumerate(spec.objective_names):
        s, c = (1.0 if k % 2 == 0 else -1.0), 0.3 * (k % 3) - 0.3
        y = 1 / (1 + np.exp(-(s * signal + c))) + rng.normal(0, noise, len(users))
        targets[name] = np.clip(y, 0, 1).astype("float32")[keep]
        weights[name] = (rng.random(n_examples) >= mask_rate).astype("float32")
    features = {"user_id": (users + 1).astype("int32")[keep], "item_id": (items + 1).astype("int32")[keep],
                "artist_id": (item_artist[items] + 1).astype("int32")[keep]}
    if history_length > 0:
        padded = np.concatenate([np.zeros((n_users, history_length), "int64"), seq + 1], axis=1)
        pos = np.tile(np.arange(per_user), n_users) + history_length  # column of the current item
        cols = pos[:, None] - history_length + np.arange(history_length)[None, :]
        features["recent_items"] = padded[users[:, None], cols].astype("int32")[keep]
    if spec.side_features:
        features["side"] = rng.normal(0, 1, (n_examples, len(spec.side_features))).astype("float32")
    vocab = {"user_id": n_users + 1, "item_id": n_items + 1, "artist_id": n_artists + 1}
    return features, targets, weights, vocab


def masked_mse(predictions: Mapping[str, np.ndarray], targets: Mapping[str, np.ndarray],
               weights: Mapping[str, np.ndarray]) -> float:
    """Mean over objectives of the weighted MSE (weight 0 = unknown target), in numpy.

    >>> masked_mse({"a": np.array([[1.0], [0.0]])}, {"a": np.array([0.0, 0.0])}, {"a": np.array([1.0, 0.0])})
    1.0
    """
    errors = []
    for name, y in targets.items():
        p = np.asarray(predictions[name], dtype="float64").reshape(-1)
        w = np.asarray(weights[name], dtype="float64").reshape(-1)
        errors.append(float((w * (p - np.asarray(y, dtype="float64").reshape(-1)) ** 2).sum() / max(w.sum(), 1e-12)))
    return float(np.mean(errors))


def toy_spec() -> DatasetSpec:
    """A three-objective, two-stakeholder spec (two user objectives, one artist objective) that
    keeps the toy checks small; the objectives reuse SPEC §14 names.

    >>> toy_spec().objective_names
    ('pct_listening', 'is_skip', 'new_fan')
    """
    return DatasetSpec(
        name="toy", stakeholders=("user", "artist"),
        objectives=(ObjectiveSpec("pct_listening", "user", "bounded"), ObjectiveSpec("is_skip", "user", "binary"),
                    ObjectiveSpec("new_fan", "artist", "bounded")),
        engagement="pct_listening", positive_rule=("pct_listening", 0.5), split="random_72_14_14")


def fit_on_toy(builder, spec: DatasetSpec, config: Mapping[str, Any], epochs: int = 5, batch_size: int = 200,
               learning_rate: float = 0.01, n_examples: int = 4000, seed: int = 0) -> dict[str, Any]:
    """Trains `builder(spec, vocab, config)` on `toy_problem` (80% train, 20% validation) with a
    masked per-objective MSE and returns the model with its validation MSE and that of predicting
    each objective's training mean (the bar a model that learns must clearly beat).

    The training size is a multiple of `batch_size`, so Keras traces the train step only once.
    """
    keras.utils.set_random_seed(seed)
    x, y, w, vocab = toy_problem(spec, n_examples=n_examples, seed=seed,
                                 history_length=int(config.get("history_length", 0)))
    n_train = (int(0.8 * n_examples) // batch_size) * batch_size
    train = np.arange(n_examples) < n_train

    def part(d, mask):
        return {k: v[mask] for k, v in d.items()}

    model = builder(spec, vocab, dict(config))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss={o: "mse" for o in spec.objective_names})
    model.fit(part(x, train), part(y, train), sample_weight=part(w, train), epochs=epochs,
              batch_size=batch_size, verbose=0)
    val_x, val_y, val_w = part(x, ~train), part(y, ~train), part(w, ~train)
    predictions = {k: np.asarray(v) for k, v in model(val_x, training=False).items()}
    means = {o: np.full(len(val_y[o]), (y[o][train] * w[o][train]).sum() / w[o][train].sum()) for o in y}
    return {"model": model, "val_mse": masked_mse(predictions, val_y, val_w),
            "mean_mse": masked_mse(means, val_y, val_w), "val_x": val_x, "vocab": vocab}


# --------------------------------------------------------------------------- shared checks

SPEC = toy_spec()
#: Small id tables (index 0 = OOV) and a batch that touches the OOV row and the last row of each.
VOCAB = {"user_id": 6, "item_id": 7, "artist_id": 4}
X = {"user_id": np.array([0, 1, 5, 2], "int32"), "item_id": np.array([6, 2, 0, 3], "int32"),
     "artist_id": np.array([1, 3, 2, 0], "int32")}


def trained_on_toy(builder, config: Mapping[str, Any], epochs: int = 5, spec: DatasetSpec = SPEC):
    """A module-scoped pytest fixture returning `fit_on_toy(builder, spec, config, epochs)`;
    assign it to `trained` in a test module so the module's tests share one trained model."""

    @pytest.fixture(scope="module")
    def trained():
        return fit_on_toy(builder, spec, config, epochs=epochs)

    return trained


def assert_learns(result: Mapping[str, Any], margin: float = LEARNS_MARGIN) -> None:
    """Asserts that a `fit_on_toy` result beats the training-mean predictor by `margin`."""
    val, mean = result["val_mse"], result["mean_mse"]
    assert val < margin * mean, f"val_mse {val:.4f} >= {margin} x mean_mse {mean:.4f} (ratio {val / mean:.3f})"


def dense(model: keras.Model, name: str, x: np.ndarray) -> np.ndarray:
    """Numpy forward pass of the model's Dense layer `name` (relu, sigmoid, softmax or linear)."""
    layer = model.get_layer(name)
    kernel, bias = layer.get_weights()
    z = x @ kernel + bias
    act = layer.get_config()["activation"]
    if act == "softmax":
        e = np.exp(z - z.max(1, keepdims=True))
        return e / e.sum(1, keepdims=True)
    return {"relu": np.maximum(z, 0), "sigmoid": 1 / (1 + np.exp(-z)), "linear": z}[act]
