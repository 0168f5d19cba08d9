"""The experiment shell shared by every table: flags, configuration, data, runs.

Configuration follows RecBole's order: defaults in code < a JSON file given by
`--config` < flags given on the command line. Every experiment is
`python -m experiments.<name>` and writes `results/<name>/<dataset>/`.
"""

from __future__ import annotations

import json
import os
import pathlib
import time
from typing import Any

from absl import flags

FLAGS = flags.FLAGS

flags.DEFINE_string("dataset", "spotify", "DatasetSpec name: spotify, spotify_sessions, mlhd, youku.")
flags.DEFINE_string("data_path", "", "Log file to read; empty = the built-in synthetic generator.")
flags.DEFINE_string("format", "", "Reader for --data_path (lfm1b, lastfm1k, mssd, douyin, kuairand, csv); "
                    "empty = the dataset's default format.")
flags.DEFINE_string("mapping", "", "JSON column mapping for --format=csv.")
flags.DEFINE_string("format_options", "", "JSON of reader options, e.g. '{\"watch_rule\": \"strict\"}'.")
flags.DEFINE_enum("scale", "small", ["small", "paper"], "Synthetic data size.")
flags.DEFINE_integer("seeds", 3, "Number of training seeds (0, 1, ... seeds-1).")
flags.DEFINE_integer("seed", 0, "Seed of the data: the synthetic generator or the Table 1 market (ignored with --data_path).")
flags.DEFINE_integer("epochs", 10, "Maximum training epochs (early stopping on validation).")
flags.DEFINE_integer("batch_size", 512, "Training batch size.")
flags.DEFINE_float("learning_rate", 0.001, "Learning rate.")
flags.DEFINE_integer("patience", 2, "Early-stopping patience in epochs.")
flags.DEFINE_string("split", "", "Split method; empty = the dataset's default.")
flags.DEFINE_integer("kcore", -1, "k-core filter; -1 = the dataset's default.")
flags.DEFINE_string("models", "", "Comma-separated registry names; empty = the experiment's default rows.")
flags.DEFINE_string("bridge", "middle", "Bridge location: input, bottom, middle, top, output, none.")
flags.DEFINE_string("output_dir", "results", "Root folder for results.")
flags.DEFINE_string("config", "", "JSON file of flag values (overridden by flags given explicitly).")
flags.DEFINE_boolean("save_models", True, "Save each model's first-seed weights under models/<slug>/.")
flags.DEFINE_string("strategy", "default", "tf.distribute strategy: default, mirrored, multi_worker.")

#: flags recorded in config.json and overridable by --config
COMMON_FLAGS = ("dataset", "data_path", "format", "mapping", "format_options", "scale", "seeds", "epochs", "batch_size",
                "learning_rate", "patience", "split", "kcore", "models", "bridge", "output_dir",
                "save_models", "strategy")


def resolve_config(names: tuple[str, ...] = COMMON_FLAGS) -> dict[str, Any]:
    """Flag values with precedence defaults < --config file < explicit flags."""
    quiet_tensorflow()
    values = {name: FLAGS[name].value for name in names}
    if FLAGS.config:
        path = pathlib.Path(FLAGS.config)
        if not path.is_file():
            raise ValueError(f"--config file {path} does not exist")
        loaded = json.loads(path.read_text())
        unknown = sorted(set(loaded) - set(names))
        if unknown:
            raise ValueError(f"{path}: unknown keys {unknown}; allowed: {sorted(names)}")
        for name, value in loaded.items():
            if not FLAGS[name].present:
                values[name] = value
    return values


def output_folder(experiment: str, config: dict[str, Any]) -> pathlib.Path:
    return pathlib.Path(config["output_dir"]) / experiment / config["dataset"]


class Stopwatch:
    """Wall-clock timer for run logs."""

    def __init__(self):
        self.start = time.perf_counter()

    def seconds(self) -> float:
        return time.perf_counter() - self.start


def quiet_tensorflow() -> None:
    """Silences TensorFlow's C++ and absl INFO lines so progress and tables stay readable."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    from absl import logging
    logging.set_verbosity(logging.WARNING)
    import tensorflow as tf
    tf.get_logger().setLevel("ERROR")


def load_frame(config: dict[str, Any], seed: int = 0):
    """The interaction table: a real log when `data_path` is set, else synthetic data."""
    from ms_bridge.datasets import formats, synthetic
    if not config["data_path"]:
        return synthetic.generate(config["dataset"], scale=config["scale"], seed=seed)
    fmt = config["format"] or default_format(config["dataset"])
    options = json.loads(config["format_options"]) if config.get("format_options") else {}
    if config.get("mapping"):
        options["mapping"] = json.loads(config["mapping"])
    return formats.read_log(fmt, config["data_path"], **options)


def default_format(dataset: str) -> str:
    from ms_bridge.datasets import formats
    for fmt, spec_name in formats.FORMAT_SPEC.items():
        if spec_name == dataset:
            return fmt
    raise ValueError(f"no default reader for dataset {dataset!r}; pass --format "
                     f"(known: {sorted(formats.FORMAT_SPEC)})")


def prepare_data(config: dict[str, Any], history_length: int = 0, seed: int = 0):
    """Loads and prepares the data once for every row of a table."""
    from ms_bridge.datasets import preprocess
    from ms_bridge.datasets.spec import get_spec
    spec = get_spec(config["dataset"])
    frame = load_frame(config, seed=seed)
    kcore = None if config.get("kcore", -1) < 0 else config["kcore"]
    prepared = preprocess.prepare(frame, spec, split=config.get("split") or None, seed=seed,
                                  history_length=history_length, kcore=kcore)
    return frame, prepared
