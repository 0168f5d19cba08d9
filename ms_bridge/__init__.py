"""ms-bridge: multi-stakeholder, multi-objective recommendation with a knowledge bridge.

Modules: `welfare` (MAUT, NSW, MS-NSW), `objectives`, `datasets` (specs, readers, synthetic data,
preprocessing, tf.data), `model` and `layers` (MS-Bridge), `registry`, `task`, `training`,
`serving`, `metrics`, `evaluation`, `reporting`, `allocation`. See docs/architecture.md.
"""

__version__ = "0.1.0"
