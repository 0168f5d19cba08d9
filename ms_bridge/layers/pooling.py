"""Mean pooling of a user's recent items, ignoring padding.

Example:
>>> import numpy as np
>>> ids = np.array([[3, 0]]); vectors = np.array([[[1.0, 2.0], [9.0, 9.0]]])
>>> MaskedMeanPooling()([ids, vectors]).numpy().tolist()
[[1.0, 2.0]]
"""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="ms_bridge")
class MaskedMeanPooling(keras.layers.Layer):
    """Mean of `vectors[:, j]` over positions j where `ids[:, j] != padding_id`.

    A row with no valid position gives zeros. Inputs: `[ids (batch, L), vectors (batch, L, d)]`;
    output (batch, d).

    Args:
        padding_id: the id that marks an empty history slot (0, the OOV/padding index).
    """

    def __init__(self, padding_id: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.padding_id = int(padding_id)

    def call(self, inputs):
        ids, vectors = inputs
        mask = ops.cast(ops.not_equal(ids, self.padding_id), vectors.dtype)[..., None]
        total = ops.sum(vectors * mask, axis=1)
        count = ops.maximum(ops.sum(mask, axis=1), 1.0)
        return total / count

    def compute_output_shape(self, input_shape):
        vectors_shape = input_shape[1]
        return (vectors_shape[0], vectors_shape[2])

    def get_config(self):
        return {**super().get_config(), "padding_id": self.padding_id}
