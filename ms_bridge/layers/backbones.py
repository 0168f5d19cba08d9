"""Backbones that turn the embedded inputs into the shared representation w_hat (paper §4.3).

- NCF: concatenate the embeddings (and any side features / pooled history) into `deep_input`,
  then a ReLU MLP, the shared bottom (`shared_bottom_0`, `shared_bottom_1`, ...); w_hat is the
  last shared-bottom layer's output.
- Wide&Deep: the same deep MLP plus a wide part that is linear in one-hot ids and hashed id
  crosses. A one-hot vector times a weight matrix is a row lookup, so each wide feature is an
  embedding table (`wide_<feature>_embedding`, `wide_units` columns) and the wide output
  `wide_linear` is the sum of the looked-up rows. w_hat = concat(deep, wide) (`w_hat`), so
  the first Dense layer of every tower computes W_deep·deep + W_wide·wide + b: the classic
  Wide&Deep sum of a linear and a deep term, made per tower rather than per logit.

Example:
>>> import keras
>>> x = [keras.Input((4,)), keras.Input((4,))]
>>> ncf(x, units=(8, 6)).shape
(None, 6)
"""

from __future__ import annotations

from typing import Mapping, Sequence

import keras

from ms_bridge.layers.crosses import HashedCross
from ms_bridge.layers.embeddings import entity_name, id_embedding

BACKBONES = ("ncf", "wide_deep")
DEFAULT_CROSSES = (("user_id", "artist_id"), ("user_id", "item_id"))


def _check_units(units: Sequence[int], what: str) -> tuple[int, ...]:
    units = tuple(units)
    if not units or any(not isinstance(u, int) or u < 1 for u in units):
        raise ValueError(f"{what} must be a non-empty sequence of positive ints, got {units!r}")
    return units


def ncf(features: Sequence, units: Sequence[int] = (128, 64), activation: str = "relu"):
    """Shared-bottom MLP over the concatenated features; returns w_hat.

    Args:
        features: KerasTensors of shape (batch, d_i) (embeddings, side features, ...).
        units: widths of the shared-bottom Dense layers; w_hat has `units[-1]` columns.
        activation: hidden activation.
    """
    units = _check_units(units, "shared_bottom_units")
    x = features[0] if len(features) == 1 else keras.layers.Concatenate(name="deep_input")(list(features))
    for k, width in enumerate(units):
        x = keras.layers.Dense(width, activation=activation, name=f"shared_bottom_{k}")(x)
    return x


def wide_linear(ids: Mapping, vocab: Mapping[str, int], *, units: int = 16, cross_bins: int = 2 ** 15,
                crosses: Sequence[tuple[str, str]] = DEFAULT_CROSSES, l2: float = 0.0):
    """The wide part: sum of per-id and per-cross embedding rows (a linear map of one-hot inputs).

    A cross gets one exact bucket per pair when `vocab[a] * vocab[b] <= cross_bins`, else
    `cross_bins` hashed buckets.

    Args:
        ids: {feature: int KerasTensor (batch,)} for the id inputs.
        vocab: {feature: vocabulary size}.
        units: output width.
        cross_bins: hash buckets per cross.
        crosses: pairs of id features to cross.
        l2: L2 penalty on the wide tables.
    """
    if not isinstance(units, int) or units < 1:
        raise ValueError(f"wide_units must be a positive int, got {units!r}")
    terms = [id_embedding(f, vocab[f], units, l2=l2, prefix="wide_")(ids[f]) for f in ids]
    for a, b in crosses:
        if a not in ids or b not in ids:
            raise ValueError(f"wide cross {(a, b)!r} names an id input not in {sorted(ids)}")
        name = f"{entity_name(a)}_x_{entity_name(b)}"
        pairs = int(vocab[a]) * int(vocab[b])
        if pairs <= cross_bins:
            cross, bins = HashedCross(pairs, multiplier=int(vocab[b]), name=f"{name}_cross"), pairs
        else:
            cross, bins = HashedCross(cross_bins, name=f"{name}_cross"), cross_bins
        terms.append(id_embedding(name, bins, units, l2=l2, prefix="wide_")(cross([ids[a], ids[b]])))
    return keras.layers.Add(name="wide_linear")(terms) if len(terms) > 1 else terms[0]


def wide_deep(features: Sequence, ids: Mapping, vocab: Mapping[str, int], *,
              units: Sequence[int] = (128, 64), activation: str = "relu", wide_units: int = 16,
              cross_bins: int = 2 ** 15, crosses: Sequence[tuple[str, str]] = DEFAULT_CROSSES,
              l2: float = 0.0):
    """Wide&Deep w_hat = concat(deep MLP, wide linear part); width `units[-1] + wide_units`."""
    deep = ncf(features, units, activation)
    wide = wide_linear(ids, vocab, units=wide_units, cross_bins=cross_bins, crosses=crosses, l2=l2)
    return keras.layers.Concatenate(name="w_hat")([deep, wide])
