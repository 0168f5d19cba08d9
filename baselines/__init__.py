"""The ten comparison models of the paper's Table 2, each registered in `ms_bridge.registry`.

Importing this package registers `lr`, `neumf`, `wide_deep` (family "single-objective") and
`mccf`, `mmoe`, `mose`, `nmtr`, `ple`, `mo_linucb`, `morl` ("multi-objective").

Example:
>>> from baselines import BASELINES
>>> from ms_bridge.registry import list_models
>>> [name for name in list_models(family="single-objective") if name in BASELINES]
['lr', 'neumf', 'wide_deep']
"""

from baselines import lr, neumf, wide_deep  # noqa: F401  (single-objective)
from baselines import mccf, mmoe, mose, nmtr, ple, mo_linucb, morl  # noqa: F401  (multi-objective)

BASELINES = ("lr", "neumf", "wide_deep", "mccf", "mmoe", "mose", "nmtr", "ple", "mo_linucb", "morl")
