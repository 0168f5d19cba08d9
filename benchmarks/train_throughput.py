"""Training throughput (examples/s) and peak memory per model and batch size.

Each (model, batch size) runs in its own process (same thread settings for
all, so peak RSS is per model): one warm-up fit of a few batches (tracing),
then one timed epoch over `--rows` synthetic rows of the `spotify` schema
through `ms_bridge.datasets.pipeline.make_dataset`, compiled by
`MultiObjectiveTask` with the harness' optimizer.

Models come from `ms_bridge.registry` by name (`--models`); MMoE, PLE and
other baselines appear here as soon as they are registered (importing
`baselines` registers them). `shared_bottom` is built below when no model of
that name is registered.

`--optimizers` instead compares optimizers (Adam, Adagrad, Adam + sparse
Adagrad for `*_embedding` tables) on the synthetic `spotify` data through
`training.fit`: examples/s and best validation loss after `--epochs`.

Usage:
    python benchmarks/train_throughput.py                       # 1M rows, batch 512 and 4096
    python benchmarks/train_throughput.py --models=ms_bridge_ncf,mmoe --batch_sizes=4096
    python benchmarks/train_throughput.py --optimizers --epochs=3
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

DEFAULT_MODELS = "ms_bridge_ncf,no_bridge_ncf,shared_bottom,mmoe,ple"
VOCAB = {"user_id": 20_001, "item_id": 50_001, "artist_id": 5_001}


def _setup(threads: int):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    return tf


def shared_bottom(spec, vocab, config):
    """Shared-bottom multi-task model: embeddings -> shared MLP -> one small tower per objective."""
    import keras

    inputs = {n: keras.Input((), dtype="int32", name=n) for n in ("user_id", "item_id", "artist_id")}
    dim = int(config.get("embedding_dim", 40))
    x = keras.layers.Concatenate()([keras.layers.Embedding(vocab[n], dim, name=f"{n[:-3]}_embedding")(inputs[n])
                                    for n in inputs])
    for i, units in enumerate((128, 64)):
        x = keras.layers.Dense(units, activation="relu", name=f"shared_bottom_{i}")(x)
    outputs = {}
    for o in spec.objectives:
        h = keras.layers.Dense(16, activation="relu", name=f"{o.name}_tower_0")(x)
        h = keras.layers.Dense(8, activation="relu", name=f"{o.name}_tower_1")(h)
        outputs[o.name] = keras.layers.Dense(1, activation="sigmoid", name=o.name)(h)
    return keras.Model(inputs, outputs, name="shared_bottom")


def resolve_builder(name: str):
    from ms_bridge import registry

    try:
        import baselines  # noqa: F401  (registers the baselines that exist)
    except ImportError:
        pass
    try:
        return registry.get_model(name)
    except ValueError:
        if name == "shared_bottom":
            return shared_bottom
        raise


def synthetic_frame(spec, rows: int, seed: int = 0):
    """Rows in the prepared-frame schema with popularity-skewed ids and objectives in [0, 1]."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "user_idx": rng.integers(1, VOCAB["user_id"], rows, dtype=np.int32),
        "item_idx": np.minimum(rng.zipf(1.3, rows), VOCAB["item_id"] - 1).astype(np.int32),
    })
    frame["artist_idx"] = (frame["item_idx"] % (VOCAB["artist_id"] - 1) + 1).astype(np.int32)
    for o in spec.objectives:
        values = rng.random(rows).astype(np.float32)
        if o.kind == "binary":
            values = np.round(values)
        values[rng.random(rows) < 0.05] = np.nan  # some unknown targets, as in real logs
        frame[o.name] = values
    return frame


OPTIMIZER_CHOICES = {
    "adam": {},
    "adagrad": {"optimizer": "adagrad", "learning_rate": 0.05},
    "adam+sparse_adagrad": {"embedding_optimizer": "sparse_adagrad", "embedding_learning_rate": 0.05},
    "adam+adagrad": {"embedding_optimizer": "adagrad", "embedding_learning_rate": 0.05},
}


def throughput_worker(model_name: str, batch_size: int, rows: int, threads: int,
                      optimizer: str = "adam") -> dict:
    _setup(threads)
    from ms_bridge.datasets.pipeline import make_dataset
    from ms_bridge.datasets.spec import get_spec
    from ms_bridge.task import MultiObjectiveTask
    from ms_bridge.training import TrainConfig, make_optimizer

    spec = get_spec("spotify")
    frame = synthetic_frame(spec, rows)
    model = resolve_builder(model_name)(spec, VOCAB, {})
    config = TrainConfig(batch_size=batch_size, **OPTIMIZER_CHOICES[optimizer])
    MultiObjectiveTask(spec).compile(model, make_optimizer(config))
    dataset = make_dataset(frame, spec, batch_size, shuffle=True, seed=0)
    model.fit(dataset.take(5), epochs=1, verbose=0)
    start = time.perf_counter()
    model.fit(dataset, epochs=1, verbose=0)
    seconds = time.perf_counter() - start
    return {"model": model_name, "batch_size": batch_size, "rows": rows, "seconds": round(seconds, 2),
            "examples_per_s": round(rows / seconds), "params": int(model.count_params()),
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def optimizer_worker(optimizer: str, epochs: int, batch_size: int, threads: int, model_name: str) -> dict:
    _setup(threads)
    from ms_bridge import training
    from ms_bridge.datasets import preprocess, synthetic
    from ms_bridge.datasets.spec import get_spec
    from ms_bridge.task import MultiObjectiveTask

    spec = get_spec("spotify")
    prepared = preprocess.prepare(synthetic.generate("spotify", "small", seed=0), spec)
    config = training.TrainConfig(epochs=epochs, batch_size=batch_size, patience=0, verbose=0,
                                  **OPTIMIZER_CHOICES[optimizer])
    start = time.perf_counter()
    result = training.fit(resolve_builder(model_name), prepared, MultiObjectiveTask(spec), config)
    seconds = time.perf_counter() - start
    return {"optimizer": optimizer, "epochs": epochs, "train_rows": len(prepared.train),
            "examples_per_s": round(len(prepared.train) * epochs / seconds),
            "best_val_loss": round(min(result.history["val_loss"]), 5), "best_epoch": result.best_epoch}


def run_child(args: list[str]) -> dict:
    done = subprocess.run([sys.executable, __file__, "--worker", *args], capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"worker {args} failed:\n{done.stderr[-3000:]}")
    return json.loads(lines[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=DEFAULT_MODELS,
                        help="comma-separated registry names (add mmoe, ple, ... here once registered)")
    parser.add_argument("--batch_sizes", default="512,4096")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--optimizers", action="store_true", help="compare optimizers instead")
    parser.add_argument("--optimizer_list", default="adam,adagrad,adam+sparse_adagrad,adam+adagrad")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    parser.add_argument("--batch", type=int, default=4096, help=argparse.SUPPRESS)
    parser.add_argument("--optimizer", help=argparse.SUPPRESS)
    parser.add_argument("--rows_mode", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        if args.optimizer and args.rows_mode:
            out = throughput_worker(args.model, args.batch, args.rows, args.threads, args.optimizer)
        elif args.optimizer:
            out = optimizer_worker(args.optimizer, args.epochs, args.batch, args.threads, args.model)
        else:
            out = throughput_worker(args.model, args.batch, args.rows, args.threads)
        print(json.dumps(out))
        return

    if args.optimizers:
        print(f"optimizers, model ms_bridge_ncf, batch {args.batch}, {args.threads} threads: steady-state "
              f"ex/s over {args.rows} synthetic rows; quality = best val loss (sum of 6 objective MSEs) on "
              f"synthetic spotify (small) after {args.epochs} epochs (ex/s there includes tracing)")
        for name in args.optimizer_list.split(","):
            speed = run_child(["--optimizer", name, "--rows_mode", "--model", "ms_bridge_ncf", "--rows",
                               str(args.rows), "--batch", str(args.batch), "--threads", str(args.threads)])
            r = run_child(["--optimizer", name, "--model", "ms_bridge_ncf", "--epochs", str(args.epochs),
                           "--batch", str(args.batch), "--threads", str(args.threads)])
            print(f"{name:>22}: {speed['examples_per_s']:>8} ex/s steady  | {r['train_rows']} rows: "
                  f"{r['examples_per_s']:>7} ex/s, best val loss {r['best_val_loss']:.5f} "
                  f"(epoch {r['best_epoch']})", flush=True)
        return

    results = []
    print(f"{args.rows} synthetic rows, {args.threads} threads")
    for batch in (int(b) for b in args.batch_sizes.split(",")):
        for name in args.models.split(","):
            r = run_child(["--model", name, "--batch", str(batch), "--rows", str(args.rows),
                           "--threads", str(args.threads)])
            results.append(r)
            print(f"batch {batch:>5}  {name:>22}: {r['examples_per_s']:>8} ex/s  ({r['seconds']} s, "
                  f"{r['params']} params, peak RSS {r['peak_rss_mib']} MiB)", flush=True)
    by = {(r["model"], r["batch_size"]): r["examples_per_s"] for r in results}
    for batch in sorted({r["batch_size"] for r in results}):
        if ("ms_bridge_ncf", batch) in by and ("no_bridge_ncf", batch) in by:
            cost = 1 - by[("ms_bridge_ncf", batch)] / by[("no_bridge_ncf", batch)]
            print(f"batch {batch}: bridge throughput cost vs no bridge {cost:+.1%} (target <= 25%)")
        if ("ms_bridge_ncf", batch) in by and batch == 4096:
            print(f"batch 4096: ms_bridge_ncf {by[('ms_bridge_ncf', 4096)]} ex/s (target >= 50000)")


if __name__ == "__main__":
    main()
