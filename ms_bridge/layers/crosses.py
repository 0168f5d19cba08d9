"""Hashed id crosses for the wide part of Wide&Deep.

Example:
>>> import numpy as np
>>> cross = HashedCross(num_bins=8)
>>> cross([np.array([1, 2]), np.array([3, 3])]).numpy().tolist()
[6, 1]
"""

from __future__ import annotations

import keras
from keras import ops

#: An odd multiplier: with a power-of-two `num_bins`, a -> a * M mod num_bins is a bijection,
#: so two users never share an offset and a cross never degenerates to one of its ids.
_MULTIPLIER = 1_000_003


@keras.saving.register_keras_serializable(package="ms_bridge")
class HashedCross(keras.layers.Layer):
    """Maps a pair of integer ids (a, b) to `(a * multiplier + b) mod num_bins` (int64).

    With `multiplier = vocab_b` and `num_bins = vocab_a * vocab_b` the map is exact (one bucket
    per pair); with the default odd multiplier and fewer bins it is a hash and pairs share
    buckets. Works on ids of any shape; both inputs must share it.

    Args:
        num_bins: number of buckets, >= 1.
        multiplier: positive int applied to the first id.
    """

    def __init__(self, num_bins: int, multiplier: int = _MULTIPLIER, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(num_bins, int) or num_bins < 1:
            raise ValueError(f"HashedCross: num_bins must be a positive int, got {num_bins!r}")
        if not isinstance(multiplier, int) or multiplier < 1:
            raise ValueError(f"HashedCross: multiplier must be a positive int, got {multiplier!r}")
        self.num_bins = num_bins
        self.multiplier = multiplier

    def call(self, inputs):
        a, b = inputs
        key = ops.cast(a, "int64") * self.multiplier + ops.cast(b, "int64")
        return ops.mod(key, self.num_bins)

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def compute_output_spec(self, inputs):
        return keras.KerasTensor(inputs[0].shape, dtype="int64")

    def get_config(self):
        return {**super().get_config(), "num_bins": self.num_bins, "multiplier": self.multiplier}
