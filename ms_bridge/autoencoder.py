"""Autoencoder pretraining of entity embeddings from side features (paper §4.3, Appendix E.7).

A small Keras autoencoder (uniform initialisation, as the paper describes for Alibaba-Youku) is
trained to reconstruct an entity's standardised feature matrix (one row per user, item or
artist); the code layer's output becomes that entity's initial embedding, which the model then
fine-tunes end to end.

Example:
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> x = rng.normal(size=(200, 3)) @ rng.normal(size=(3, 12))
>>> result = pretrain_embeddings(x, code_dim=4, epochs=60, seed=0)
>>> result.embeddings.shape
(200, 4)
>>> bool(result.reconstruction_mse < result.mean_baseline_mse)
True
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

import keras
import numpy as np
import tensorflow as tf


@dataclasses.dataclass(frozen=True)
class AutoencoderResult:
    """Outcome of `pretrain_embeddings`.

    Attributes:
        embeddings: (n_rows, code_dim) float32 codes, row i for input row i.
        mean_code: (code_dim,) code of the feature means (used for the OOV row).
        reconstruction_mse: mean squared reconstruction error on the standardised features.
        mean_baseline_mse: the same error when predicting every column's mean (= 1 per
            non-constant column after standardising); the autoencoder must beat it.
        mean: per-column means used to standardise.
        scale: per-column standard deviations used to standardise (1 where constant).
    """

    embeddings: np.ndarray
    mean_code: np.ndarray
    reconstruction_mse: float
    mean_baseline_mse: float
    mean: np.ndarray
    scale: np.ndarray


def build_autoencoder(n_features: int, code_dim: int = 40, hidden_units: Sequence[int] = (64,),
                      seed: int = 0) -> keras.Model:
    """Dense autoencoder `n_features -> hidden -> code (linear) -> hidden -> n_features`.

    The code layer is named `code`; `keras.Model(ae.input, ae.get_layer("code").output)` is the
    encoder.
    """
    if n_features < 1 or code_dim < 1:
        raise ValueError(f"n_features and code_dim must be >= 1, got {n_features}, {code_dim}")
    hidden_units = tuple(hidden_units)
    if any(not isinstance(u, int) or u < 1 for u in hidden_units):
        raise ValueError(f"hidden_units must be positive ints, got {hidden_units!r}")
    def init(k: int) -> keras.initializers.Initializer:
        return keras.initializers.RandomUniform(-0.05, 0.05, seed=seed + k)

    inputs = keras.Input((n_features,), name="features")
    x, k = inputs, 0
    for k, width in enumerate(hidden_units):
        x = keras.layers.Dense(width, activation="relu", kernel_initializer=init(k), name=f"encoder_{k}")(x)
    x = keras.layers.Dense(code_dim, kernel_initializer=init(k + 1), name="code")(x)
    for j, width in enumerate(reversed(hidden_units)):
        x = keras.layers.Dense(width, activation="relu", kernel_initializer=init(k + 2 + j),
                               name=f"decoder_{j}")(x)
    outputs = keras.layers.Dense(n_features, kernel_initializer=init(k + 3 + len(hidden_units)),
                                 name="reconstruction")(x)
    return keras.Model(inputs, outputs, name="autoencoder")


def pretrain_embeddings(features: np.ndarray, code_dim: int = 40, *, hidden_units: Sequence[int] = (64,),
                        epochs: int = 100, batch_size: int = 256, learning_rate: float = 1e-2,
                        seed: int = 0) -> AutoencoderResult:
    """Trains an autoencoder on `features` (rows = entities) and returns the codes.

    Args:
        features: (n_rows, n_features) finite numbers; standardised per column inside.
        code_dim: embedding size.
        hidden_units: encoder hidden widths (the decoder mirrors them).
        epochs, batch_size, learning_rate: Adam training of the MSE reconstruction loss.
        seed: initialisation and shuffling seed.
    """
    x = np.asarray(features, dtype="float32")
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[1] < 1:
        raise ValueError(f"features must be a 2-D array with >= 2 rows, got shape {x.shape}")
    if not np.isfinite(x).all():
        bad = np.argwhere(~np.isfinite(x))[:5].tolist()
        raise ValueError(f"features hold non-finite values at (row, column) {bad}")
    if epochs < 1 or batch_size < 1 or learning_rate <= 0:
        raise ValueError(f"epochs, batch_size and learning_rate must be positive, "
                         f"got {epochs}, {batch_size}, {learning_rate}")
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0).astype("float32")
    z = (x - mean) / scale
    model = build_autoencoder(z.shape[1], code_dim, hidden_units, seed=seed)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse")
    data = (tf.data.Dataset.from_tensor_slices((z, z))
            .shuffle(len(z), seed=seed, reshuffle_each_iteration=True).batch(batch_size))
    model.fit(data, epochs=epochs, shuffle=False, verbose=0)
    encoder = keras.Model(model.input, model.get_layer("code").output)
    codes = encoder.predict(z, batch_size=4096, verbose=0)
    reconstruction = model.predict(z, batch_size=4096, verbose=0)
    return AutoencoderResult(
        embeddings=codes.astype("float32"),
        mean_code=encoder.predict(np.zeros((1, z.shape[1]), "float32"), verbose=0)[0].astype("float32"),
        reconstruction_mse=float(np.mean((reconstruction - z) ** 2)),
        mean_baseline_mse=float(np.mean(z ** 2)),
        mean=mean, scale=scale)
