"""Trains DeepCTR's MMoE on a benchmark `.npz` and prints its throughput as JSON (last line).

This script runs inside `benchmarks/.deepctr-venv` (DeepCTR + a tf.keras 2 TensorFlow), never in
the project's environment: DeepCTR is not a dependency of ms-bridge. `benchmarks/deepctr_peer.py`
creates that venv and calls this script once per (configuration, batch size), so every figure comes
from a fresh process (peak RSS is per run, nothing is warm from a previous run).

The helpers `configure_threads`, `make_dataset`, `time_fit` and `peak_rss_mib` depend only on the
module object passed in (`tensorflow`), so `deepctr_peer.py` times our models with the very same code.

    benchmarks/.deepctr-venv/bin/python benchmarks/_deepctr_mmoe_worker.py \
        --data=/tmp/x/data.npz --batch=4096 --threads=2 --epochs=1 --sizes=default

Example (the JSON line, abridged):
    {"side": "deepctr", "model": "deepctr_mmoe_default", "batch": 4096, "examples_per_s": 123456.7, ...}
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from typing import Any, Callable, Mapping

import numpy as np

ID_FEATURES = ("user_id", "item_id", "artist_id")

#: DeepCTR MMOE keyword arguments per `--sizes`. `default` is the library's own defaults
#: (deepctr.models.MMOE, 0.9.x); `matched` copies our `mmoe` baseline (Appendix B sizes: one
#: expert per objective, experts [16, 8], towers [6], no embedding penalty) so that only the
#: implementation differs.
SIZES: dict[str, dict[str, Any]] = {
    "default": {"num_experts": 3, "expert_dnn_hidden_units": (256, 128), "tower_dnn_hidden_units": (64,),
                "l2_reg_embedding": 1e-5},
    "matched": {"num_experts": 6, "expert_dnn_hidden_units": (16, 8), "tower_dnn_hidden_units": (6,),
                "l2_reg_embedding": 0.0},
}


def load_npz(path: str) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, int]]:
    """Reads the benchmark data: (features, targets, vocab).

    The file holds `user_id`, `item_id`, `artist_id` (int32, 1..n, 0 = out of vocabulary),
    `vocab` (int64 [3], n + 1 per id feature, in `ID_FEATURES` order), `target_names` (str) and
    one float32 array per target name.
    """
    with np.load(path, allow_pickle=False) as data:
        features = {name: data[name] for name in ID_FEATURES}
        names = [str(n) for n in data["target_names"]]
        targets = {name: data[f"target_{name}"] for name in names}
        vocab = {name: int(v) for name, v in zip(ID_FEATURES, data["vocab"])}
    return features, targets, vocab


def configure_threads(tf: Any, threads: int) -> None:
    """Sets TensorFlow's intra- and inter-op pools to `threads` (before any op runs)."""
    if threads <= 0:
        raise ValueError(f"threads must be positive, got {threads}")
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)


def make_dataset(tf: Any, features: Mapping[str, np.ndarray], targets: Mapping[str, np.ndarray],
                 batch: int, threads: int):
    """`from_tensor_slices((features, targets))`, batched and prefetched, on a `threads`-sized pool.

    No shuffle on either side: the comparison times the model, not the input pipeline.
    """
    if batch <= 0:
        raise ValueError(f"batch must be positive, got {batch}")
    dataset = tf.data.Dataset.from_tensor_slices((dict(features), dict(targets)))
    options = tf.data.Options()
    options.threading.private_threadpool_size = threads
    return dataset.batch(batch).prefetch(tf.data.AUTOTUNE).with_options(options)


def time_fit(model: Any, dataset: Any, epochs: int) -> dict[str, float]:
    """One warm-up epoch (tracing, allocation), then `epochs` timed epochs of `model.fit`.

    The second `fit` call reuses the compiled train function, so the timed part is steady-state
    training: optimizer updates, input pipeline and Keras' per-step overhead included. Besides wall
    time it returns the process CPU time (user + system) of the timed part, which other jobs on a
    shared machine disturb less, and the 1-minute load average before and after.
    """
    if epochs <= 0:
        raise ValueError(f"epochs must be positive, got {epochs}")
    start = time.perf_counter()
    model.fit(dataset, epochs=1, verbose=0)
    warmup = time.perf_counter() - start
    load_before, cpu_before = os.getloadavg()[0], _cpu_seconds()
    start = time.perf_counter()
    history = model.fit(dataset, epochs=epochs, verbose=0)
    seconds = time.perf_counter() - start
    return {"warmup_seconds": warmup, "seconds": seconds, "cpu_seconds": _cpu_seconds() - cpu_before,
            "load_before": load_before, "load_after": os.getloadavg()[0],
            "final_loss": float(history.history["loss"][-1])}


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mib() -> float:
    """Peak resident set size of this process in MiB (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (2**20 if sys.platform == "darwin" else 2**10)


def run(side: str, model_name: str, build: Callable[[Any, dict[str, int], list[str]], Any],
        compile_model: Callable[[Any, list[str]], None], tf: Any, args: argparse.Namespace,
        feature_shape: Callable[[np.ndarray], np.ndarray] = lambda a: a,
        versions: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Loads the data, builds and compiles a model, times it, and returns the result record."""
    configure_threads(tf, args.threads)
    features, targets, vocab = load_npz(args.data)
    names = list(targets)
    rows = len(next(iter(features.values())))
    model = build(tf, vocab, names)
    compile_model(model, names)
    dataset = make_dataset(tf, {k: feature_shape(v) for k, v in features.items()},
                           {k: v.reshape(-1, 1) for k, v in targets.items()}, args.batch, args.threads)
    timing = time_fit(model, dataset, args.epochs)
    return {
        "side": side, "model": model_name, "batch": args.batch, "threads": args.threads, "rows": rows,
        "timed_epochs": args.epochs, "examples_per_s": rows * args.epochs / timing["seconds"],
        "examples_per_cpu_s": rows * args.epochs / timing["cpu_seconds"],
        "peak_rss_mib": peak_rss_mib(), "params": int(model.count_params()), **timing,
        "versions": {"python": platform.python_version(), "numpy": np.__version__, **dict(versions or {})},
    }


def parse_args(argv: list[str] | None = None, extra: Callable[[argparse.ArgumentParser], None] | None = None):
    """The flags shared by both workers: --data, --batch, --threads, --epochs (+ `extra`)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="benchmark .npz written by deepctr_peer.py")
    parser.add_argument("--batch", type=int, required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=1, help="timed epochs after one warm-up epoch")
    if extra is not None:
        extra(parser)
    args = parser.parse_args(argv)
    for flag in ("batch", "threads", "epochs"):
        if getattr(args, flag) <= 0:
            raise ValueError(f"--{flag} must be positive, got {getattr(args, flag)}")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv, lambda p: p.add_argument("--sizes", choices=sorted(SIZES), default="default"))
    import tensorflow as tf  # noqa: E402  (after flag parsing: a bad flag fails fast)
    import deepctr
    from deepctr.feature_column import SparseFeat
    from deepctr.models import MMOE

    def build(tf_module, vocab, names):
        # Dimension 40 = our models' embedding size; inputs are DeepCTR's native (batch, 1) ids.
        columns = [SparseFeat(name, vocabulary_size=vocab[name], embedding_dim=40, dtype="int32")
                   for name in ID_FEATURES]
        return MMOE(columns, task_types=["regression"] * len(names), task_names=names, **SIZES[args.sizes])

    def compile_model(model, names):
        model.compile(optimizer=tf.keras.optimizers.Adam(), loss={n: "mse" for n in names})

    from importlib import metadata
    from deepctr.layers.core import DNN

    # The Keras that DeepCTR's layers actually subclass: tf_keras (TF_USE_LEGACY_KERAS=1), Keras 2
    # (TF <= 2.15) or Keras 3 (TF >= 2.16 without the legacy switch).
    keras_package = "tf-keras" if DNN.__mro__[1].__module__.startswith("tf_keras") else "keras"
    record = run("deepctr", f"deepctr_mmoe_{args.sizes}", build, compile_model, tf, args,
                 feature_shape=lambda a: a.reshape(-1, 1),
                 versions={"tensorflow": tf.__version__,
                           "tf.keras": f"{keras_package} {metadata.version(keras_package)}",
                           "deepctr": deepctr.__version__})
    record["sizes"] = {k: list(v) if isinstance(v, tuple) else v for k, v in SIZES[args.sizes].items()}
    print(json.dumps(record), flush=True)


if __name__ == "__main__":
    main()
