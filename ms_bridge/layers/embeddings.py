"""Id embedding tables: learned, pretrained from a file, or initialised from a given matrix.

Every table is a `keras.layers.Embedding` named `<entity>_embedding` (`user_embedding`,
`item_embedding`, `artist_embedding`, and `wide_*_embedding` in the Wide&Deep backbone), so a
training harness can select embedding variables by name and give them their own optimiser
(see `ms_bridge.model.embedding_variables`). Row 0 is the out-of-vocabulary index.

Example:
>>> import numpy as np
>>> layer = id_embedding("item_id", vocab_size=5, dim=3, initial=np.ones((5, 3)), trainable=False)
>>> layer.name, layer.trainable
('item_embedding', False)
"""

from __future__ import annotations

import dataclasses
import pathlib
from typing import Callable, Mapping

import keras
import numpy as np
import pandas as pd

ID_FEATURES = ("user_id", "item_id", "artist_id")


def entity_name(feature: str) -> str:
    """`user_id` -> `user`; other names are returned unchanged."""
    return feature[:-3] if feature.endswith("_id") else feature


def id_embedding(feature: str, vocab_size: int, dim: int, *, initial: np.ndarray | None = None,
                 trainable: bool = True, l2: float = 0.0, prefix: str = "") -> keras.layers.Embedding:
    """An embedding table named `<prefix><entity>_embedding` for the id input `feature`.

    Args:
        feature: input name, e.g. `item_id`.
        vocab_size: rows, including the out-of-vocabulary row 0.
        dim: columns; must equal `initial.shape[1]` when `initial` is given.
        initial: optional (vocab_size, dim) starting matrix (pretrained or autoencoder codes).
        trainable: False freezes the table (pretrained, frozen).
        l2: L2 penalty on the looked-up rows (0 disables).
        prefix: name prefix, e.g. `wide_`.
    """
    if vocab_size < 1:
        raise ValueError(f"{feature}: vocab_size must be >= 1, got {vocab_size}")
    if dim < 1:
        raise ValueError(f"{feature}: embedding dim must be >= 1, got {dim}")
    weights = None
    if initial is not None:
        initial = np.asarray(initial, dtype="float32")
        if initial.shape != (vocab_size, dim):
            raise ValueError(f"{feature}: initial matrix has shape {initial.shape}, "
                             f"expected {(vocab_size, dim)}")
        weights = [initial]
    return keras.layers.Embedding(
        vocab_size, dim, weights=weights, trainable=trainable,
        embeddings_regularizer=keras.regularizers.L2(l2) if l2 > 0 else None,
        name=f"{prefix}{entity_name(feature)}_embedding")


@dataclasses.dataclass(frozen=True)
class PretrainedTable:
    """A pretrained matrix aligned to the id vocabulary.

    Attributes:
        matrix: (vocab_size, dim) float32; row i is index i, row 0 the OOV row.
        n_found: vocabulary rows filled from the file.
        n_missing: vocabulary rows (besides OOV) absent from the file, filled randomly.
        n_ignored: file rows whose id is not in the vocabulary (or maps to OOV).
    """

    matrix: np.ndarray
    n_found: int
    n_missing: int
    n_ignored: int


def align_rows(values: np.ndarray, vocab_size: int, *, seed: int = 0, source: str = "array") -> PretrainedTable:
    """Aligns a matrix to the vocabulary: (vocab_size - 1, d) rows are indices 1..n and get a
    random OOV row (N(0, s^2), s the values' standard deviation); (vocab_size, d) is kept whole.

    Example:
    >>> align_rows(np.ones((2, 3)), vocab_size=3).matrix.shape
    (3, 3)
    """
    values = np.asarray(values, dtype="float32")
    if values.ndim != 2 or values.shape[0] not in (vocab_size - 1, vocab_size):
        raise ValueError(f"{source}: shape {values.shape} does not match vocab_size {vocab_size} "
                         f"(expected ({vocab_size - 1}, d) or ({vocab_size}, d))")
    if not np.isfinite(values).all():
        raise ValueError(f"{source}: holds non-finite values")
    if values.shape[0] == vocab_size:
        return PretrainedTable(values, vocab_size - 1, 0, 0)
    scale = float(values.std()) or 1.0
    oov = np.random.default_rng(seed).normal(0.0, scale, (1, values.shape[1])).astype("float32")
    return PretrainedTable(np.concatenate([oov, values]), vocab_size - 1, 0, 0)


IndexLike = Mapping | Callable[[np.ndarray], np.ndarray] | None


def _to_index(ids: np.ndarray, index: IndexLike, vocab_size: int) -> np.ndarray:
    if index is None:
        out = pd.to_numeric(pd.Series(ids), errors="coerce").to_numpy()
        out = np.where(np.isnan(out), -1, out)
    elif isinstance(index, Mapping):
        out = pd.Series(ids).map(index).to_numpy(dtype=float)
        out = np.where(np.isnan(out), -1, out)
    elif callable(getattr(index, "transform", None)):
        out = np.asarray(index.transform(ids))
    elif callable(index):
        out = np.asarray(index(ids))
    else:
        raise ValueError(f"index must be a mapping, a callable or have .transform, got {type(index)!r}")
    out = out.astype(np.int64)
    return np.where((out >= 1) & (out < vocab_size), out, -1)


def load_pretrained(path: str | pathlib.Path, vocab_size: int, *, index: IndexLike = None,
                    id_column: str = "id", seed: int = 0) -> PretrainedTable:
    """Reads pretrained vectors and aligns them to the id vocabulary.

    Formats:
      - `.npy`: a (vocab_size - 1, d) array holds rows for indices 1..n (OOV row random); a
        (vocab_size, d) array is taken as the whole table, row 0 included.
      - `.csv`: a column `id_column` with raw ids and d numeric vector columns. `index` maps raw
        ids to indices (a dict, a callable on an array, or an object with `.transform`, such as
        an `IdMap`); without it the ids are taken as indices. Ids outside 1..vocab_size-1 are
        counted in `n_ignored`; a repeated id keeps its last row.

    Rows not given by the file and the OOV row are drawn from N(0, s^2), s the standard
    deviation of the file's values, with `seed`, so they sit at the scale of the known rows.

    Example:
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "v.npy"); np.save(p, np.ones((3, 2)))
    >>> t = load_pretrained(p, vocab_size=4)
    >>> t.matrix.shape, t.n_found, t.n_missing
    ((4, 2), 3, 0)
    """
    path = pathlib.Path(path)
    if vocab_size < 2:
        raise ValueError(f"vocab_size must be >= 2 (OOV row plus one id), got {vocab_size}")
    if not path.is_file():
        raise ValueError(f"pretrained embedding file {str(path)!r} does not exist")
    suffix = path.suffix.lower()
    if suffix == ".npy":
        return align_rows(np.load(path), vocab_size, seed=seed, source=str(path))
    if suffix == ".csv":
        frame = pd.read_csv(path)
        if id_column not in frame.columns:
            raise ValueError(f"{path}: no id column {id_column!r}; columns: {list(frame.columns)}")
        vector_columns = [c for c in frame.columns if c != id_column]
        if not vector_columns:
            raise ValueError(f"{path}: no vector columns besides {id_column!r}")
        values = frame[vector_columns].to_numpy(dtype="float32")
        if not np.isfinite(values).all():
            raise ValueError(f"{path}: vector columns hold NaN or non-finite values")
        rows = _to_index(frame[id_column].to_numpy(), index, vocab_size)
        keep = rows >= 0
        scale = float(values.std()) or 1.0
        matrix = np.random.default_rng(seed).normal(0.0, scale, (vocab_size, values.shape[1])).astype("float32")
        kept_rows, kept_values = rows[keep], values[keep]
        unique_rows, first_from_end = np.unique(kept_rows[::-1], return_index=True)
        matrix[unique_rows] = kept_values[len(kept_rows) - 1 - first_from_end]
        n_found = int(unique_rows.size)
        return PretrainedTable(matrix, n_found, vocab_size - 1 - n_found, int((~keep).sum()))
    raise ValueError(f"{path}: unsupported pretrained format {suffix!r}; use .npy or .csv")
