"""Peer benchmark: training throughput of our models against DeepCTR's MMoE on the same data.

DeepCTR is never a dependency of ms-bridge. This script creates (when missing) a separate virtual
environment `benchmarks/.deepctr-venv` (git-ignored) with `python3.11 -m venv` and installs DeepCTR
with this venv's TensorFlow version and the matching `tf-keras`, so DeepCTR runs on its native
tf.keras 2 API (TF_USE_LEGACY_KERAS=1) over the same TensorFlow runtime as our models
(`--deepctr_requirements` and `--deepctr_env` change that; docs/benchmark_peer.md lists the
combinations tried and their figures). Then, for every batch size:

1. the same synthetic `.npz` (N rows of user/item/artist ids, Zipf-ish, and 6 targets in [0, 1])
   is written once to a temporary folder;
2. `_deepctr_mmoe_worker.py` trains `deepctr.models.MMOE` in the DeepCTR venv (one subprocess per
   configuration and batch size; `--deepctr_sizes` picks DeepCTR's default sizes and/or sizes
   matched to our `mmoe` baseline);
3. this script re-runs itself in our venv to train each registry model (`--models`, default
   `ms_bridge_ncf` and `mmoe`) with the same batch, threads, optimizer (Adam, default learning
   rate), per-output MSE loss, `from_tensor_slices` pipeline and epochs (one warm-up + `--epochs`
   timed);
4. it prints a table of examples/s and peak RSS, and the ratios of our models to each DeepCTR
   configuration (the target is a ratio >= 1.0).

Runs are sequential, never concurrent, each in a fresh process.

    .venv/bin/python benchmarks/deepctr_peer.py                          # 1M rows, batches 512,4096, 2 threads
    .venv/bin/python benchmarks/deepctr_peer.py --rows=100000 --batches=4096 --epochs=1
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time
from typing import Any, Sequence

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
import _deepctr_mmoe_worker as worker  # noqa: E402  (lives next to this script)

DEFAULT_VENV = HERE / ".deepctr-venv"
DEEPCTR_VERSION = "0.9.4"
#: DeepCTR runs on its native tf.keras 2 API through the `tf-keras` package (docs/benchmark_peer.md
#: lists the combinations tried); the worker needs TF_USE_LEGACY_KERAS=1 for it.
DEFAULT_DEEPCTR_ENV = "TF_USE_LEGACY_KERAS=1"
REQUIREMENTS_MARKER = "ms_bridge_requirements.txt"


def default_requirements() -> tuple[str, ...]:
    """DeepCTR plus the very TensorFlow of this venv and its matching tf-keras, so both sides
    run on the same TensorFlow runtime and only the model code differs.

    Example:
    >>> default_requirements()[0].startswith("tensorflow==")
    True
    """
    from importlib import metadata

    version = metadata.version("tensorflow")
    major, minor = version.split(".")[:2]
    return (f"tensorflow=={version}", f"tf-keras~={major}.{minor}.0", f"deepctr=={DEEPCTR_VERSION}")
OUR_MODELS = ("ms_bridge_ncf", "mmoe")
N_TARGETS = 6


def zipf_ids(rng: np.random.Generator, n: int, size: int, exponent: float) -> np.ndarray:
    """`size` draws from 1..n with P(k) proportional to 1 / k**exponent (id 0 stays OOV)."""
    weights = 1.0 / np.arange(1, n + 1) ** exponent
    return (rng.choice(n, size=size, p=weights / weights.sum()) + 1).astype(np.int32)


def synthetic_arrays(rows: int, users: int = 50_000, items: int = 20_000, artists: int = 5_000,
                     latent: int = 8, seed: int = 0) -> dict[str, np.ndarray]:
    """Benchmark data: Zipf-ish ids and `N_TARGETS` targets in [0, 1] driven by latent affinity.

    Each item belongs to one artist. Target k is `sigmoid(a_k <u, i> + b_k <u, artist> + c_k +
    noise)`, so targets co-vary and depend on all three ids (a model can learn something).

    Example:
    >>> data = synthetic_arrays(1000, users=50, items=30, artists=5)
    >>> int(data["user_id"].min()) >= 1, data["target_3"].dtype.name, data["vocab"].tolist()
    (True, 'float32', [51, 31, 6])
    """
    for flag, value in (("rows", rows), ("users", users), ("items", items), ("artists", artists)):
        if value <= 0:
            raise ValueError(f"{flag} must be positive, got {value}")
    rng = np.random.default_rng(seed)
    user = zipf_ids(rng, users, rows, 0.6)
    item = zipf_ids(rng, items, rows, 0.9)
    item_artist = np.concatenate([[0], rng.integers(1, artists + 1, size=items)]).astype(np.int32)
    artist = item_artist[item]
    scale = 1.0 / np.sqrt(latent)
    user_vec = rng.normal(0, 1, (users + 1, latent)).astype(np.float32)
    artist_vec = rng.normal(0, 1, (artists + 1, latent)).astype(np.float32)
    item_vec = (artist_vec[item_artist] + 0.5 * rng.normal(0, 1, (items + 1, latent))).astype(np.float32)
    u = user_vec[user]
    affinity_item = np.einsum("nd,nd->n", u, item_vec[item]) * scale
    affinity_artist = np.einsum("nd,nd->n", u, artist_vec[artist]) * scale
    a, b, c = rng.uniform(0.3, 1.5, N_TARGETS), rng.uniform(-0.5, 1.0, N_TARGETS), rng.uniform(-1, 1, N_TARGETS)
    logits = (np.outer(affinity_item, a) + np.outer(affinity_artist, b) + c
              + rng.normal(0, 0.5, (rows, N_TARGETS)))
    targets = (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)
    out = {"user_id": user, "item_id": item, "artist_id": artist,
           "vocab": np.array([users + 1, items + 1, artists + 1], dtype=np.int64)}
    out.update({f"target_{k}": targets[:, k] for k in range(N_TARGETS)})
    return out


def write_npz(path: pathlib.Path, arrays: dict[str, np.ndarray], target_names: Sequence[str]) -> None:
    """Writes `arrays` in the worker's format, renaming `target_k` to `target_<target_names[k]>`."""
    if len(target_names) != N_TARGETS:
        raise ValueError(f"need {N_TARGETS} target names, got {list(target_names)}")
    payload = {k: v for k, v in arrays.items() if not k.startswith("target_")}
    payload.update({f"target_{name}": arrays[f"target_{k}"] for k, name in enumerate(target_names)})
    payload["target_names"] = np.array(list(target_names))
    np.savez(path, **payload)


def ensure_venv(venv: pathlib.Path, requirements: Sequence[str], python: str = "python3.11") -> pathlib.Path:
    """Creates `venv` with `python -m venv` (when missing) and pip-installs `requirements` (when they
    differ from those it was last set up with); returns its interpreter."""
    interpreter = venv / "bin" / "python"
    marker = venv / REQUIREMENTS_MARKER
    wanted = "\n".join(requirements) + "\n"
    probe = [str(interpreter), "-c", "import deepctr, tensorflow"]
    if (interpreter.exists() and marker.exists() and marker.read_text() == wanted
            and subprocess.run(probe, capture_output=True, env=_quiet_env()).returncode == 0):
        return interpreter
    if not interpreter.exists():
        print(f"creating {venv} (one-off, a few minutes)", flush=True)
        subprocess.run([python, "-m", "venv", str(venv)], check=True)
    print(f"{venv}: pip install {' '.join(requirements)}", flush=True)
    subprocess.run([str(interpreter), "-m", "pip", "install", "--quiet", *requirements], check=True)
    marker.write_text(wanted)
    result = subprocess.run(probe, capture_output=True, text=True, env=_quiet_env())
    if result.returncode != 0:
        raise RuntimeError(f"{venv}: DeepCTR installed but does not import:\n{result.stderr[-3000:]}")
    return interpreter


def _quiet_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    # CPU only on both sides; no PYTHONPATH/VIRTUAL_ENV leaking from this venv into the other one.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="")
    env.update(extra or {})
    return env


def run_worker(command: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Runs one worker process and parses the JSON record on its last stdout line."""
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO)
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0 or not lines:
        raise RuntimeError(f"worker failed (rc={result.returncode}): {' '.join(command)}\n"
                           f"{result.stderr[-4000:]}")
    return json.loads(lines[-1])


def run_ours(argv: list[str] | None = None) -> None:
    """Worker mode (`--ours=MODEL`): trains a registry model in this venv and prints its JSON record."""
    args = worker.parse_args(argv, lambda p: p.add_argument("--ours", required=True))
    import keras
    import tensorflow as tf

    import baselines  # noqa: F401  (registers the baselines)
    from ms_bridge.datasets.spec import get_spec
    from ms_bridge.registry import get_model

    spec = get_spec("spotify")

    def build(tf_module, vocab, names):
        if tuple(names) != tuple(spec.objective_names):
            raise ValueError(f"data targets {names} differ from spotify objectives {spec.objective_names}")
        return get_model(args.ours)(spec, vocab, {"embedding_dim": 40})

    def compile_model(model, names):
        # XLA off, as tf.keras 2 on the DeepCTR side (Keras 3's "auto" is off on CPU anyway).
        model.compile(optimizer=keras.optimizers.Adam(), loss={n: "mse" for n in names}, jit_compile=False)

    record = worker.run("ours", args.ours, build, compile_model, tf, args,
                        versions={"tensorflow": tf.__version__, "keras": keras.__version__})
    print(json.dumps(record), flush=True)


def format_table(records: list[dict[str, Any]], deepctr_names: Sequence[str]) -> str:
    """Markdown table: one row per (model, batch); per DeepCTR configuration, the ratio of wall-clock
    examples/s (the headline) and, in brackets, of examples per CPU-second.

    Example:
    >>> rows = [{"side": "deepctr", "model": "deepctr_mmoe_default", "batch": 8, "examples_per_s": 100.0,
    ...          "examples_per_cpu_s": 50.0, "peak_rss_mib": 10.0, "load_before": 1.0},
    ...         {"side": "ours", "model": "mmoe", "batch": 8, "examples_per_s": 150.0,
    ...          "examples_per_cpu_s": 60.0, "peak_rss_mib": 9.0, "load_before": 1.0}]
    >>> print(format_table(rows, ["deepctr_mmoe_default"]).splitlines()[-1])
    | mmoe | 8 | 150 | 60 | 9 | 1.0 | 1.50 (1.20) |
    """
    reference = {(r["model"], r["batch"]): r for r in records if r["side"] == "deepctr"}
    header = (["model", "batch", "examples/s", "examples/CPU-s", "peak RSS (MiB)", "load"]
              + [f"ratio vs {n} (CPU)" for n in deepctr_names])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in records:
        cells = [r["model"], str(r["batch"]), f"{r['examples_per_s']:.0f}", f"{r['examples_per_cpu_s']:.0f}",
                 f"{r['peak_rss_mib']:.0f}", f"{r['load_before']:.1f}"]
        for name in deepctr_names:
            ref = reference.get((name, r["batch"]))
            if r["side"] == "deepctr" or ref is None:
                cells.append("-")
            else:
                cells.append(f"{r['examples_per_s'] / ref['examples_per_s']:.2f} "
                             f"({r['examples_per_cpu_s'] / ref['examples_per_cpu_s']:.2f})")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def parse_list(text: str, cast=str) -> list:
    items = [cast(t.strip()) for t in text.split(",") if t.strip()]
    if not items:
        raise ValueError(f"expected a comma-separated list, got {text!r}")
    return items


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if any(a.startswith("--ours") for a in argv):
        return run_ours(argv)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--threads", type=int, default=2, help="intra- and inter-op threads, both sides")
    parser.add_argument("--batches", default="512,4096")
    parser.add_argument("--epochs", type=int, default=1, help="timed epochs after one warm-up epoch")
    parser.add_argument("--models", default=",".join(OUR_MODELS), help="our registry names")
    parser.add_argument("--deepctr_sizes", default="default,matched",
                        help=f"DeepCTR MMOE size presets: {sorted(worker.SIZES)}")
    parser.add_argument("--venv", default=str(DEFAULT_VENV))
    parser.add_argument("--deepctr_requirements", default=",".join(default_requirements()),
                        help="pip requirements of the DeepCTR venv (installed when they change)")
    parser.add_argument("--deepctr_env", default=DEFAULT_DEEPCTR_ENV,
                        help="comma-separated KEY=VALUE pairs for the DeepCTR worker ('' = none: "
                             "DeepCTR then runs on Keras 3 where TensorFlow >= 2.16)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json_out", default="", help="also write every record to this JSON file")
    args = parser.parse_args(argv)
    for flag in ("rows", "threads", "epochs"):
        if getattr(args, flag) <= 0:
            raise ValueError(f"--{flag} must be positive, got {getattr(args, flag)}")
    batches = parse_list(args.batches, int)
    if any(b <= 0 for b in batches):
        raise ValueError(f"--batches must be positive integers, got {args.batches!r}")
    sizes = parse_list(args.deepctr_sizes)
    unknown = [s for s in sizes if s not in worker.SIZES]
    if unknown:
        raise ValueError(f"--deepctr_sizes: unknown presets {unknown}; known: {sorted(worker.SIZES)}")
    models = parse_list(args.models) if args.models else []  # '' = DeepCTR side only
    deepctr_env = dict(pair.split("=", 1) for pair in parse_list(args.deepctr_env)) if args.deepctr_env else {}

    deepctr_python = ensure_venv(pathlib.Path(args.venv), parse_list(args.deepctr_requirements))
    from ms_bridge.datasets.spec import get_spec  # no TensorFlow import in this parent process

    records: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="deepctr_peer_") as tmp:
        data = pathlib.Path(tmp) / "data.npz"
        start = time.perf_counter()
        write_npz(data, synthetic_arrays(args.rows, seed=args.seed), get_spec("spotify").objective_names)
        print(f"data: {args.rows} rows -> {data} ({time.perf_counter() - start:.1f} s)", flush=True)
        common = [f"--data={data}", f"--threads={args.threads}", f"--epochs={args.epochs}"]
        for batch in batches:
            for preset in sizes:
                command = [str(deepctr_python), str(HERE / "_deepctr_mmoe_worker.py"), *common,
                           f"--batch={batch}", f"--sizes={preset}"]
                records.append(run_worker(command, _quiet_env(deepctr_env)))
                print(json.dumps(records[-1]), flush=True)
            for model in models:
                command = [sys.executable, str(pathlib.Path(__file__).resolve()), *common,
                           f"--batch={batch}", f"--ours={model}"]
                records.append(run_worker(command, _quiet_env({"PYTHONPATH": str(REPO)})))
                print(json.dumps(records[-1]), flush=True)

    deepctr_names = [f"deepctr_mmoe_{s}" for s in sizes]
    print()
    print(f"rows={args.rows} threads={args.threads} timed_epochs={args.epochs} (after 1 warm-up epoch)")
    for side in ("deepctr", "ours"):
        first = next((r for r in records if r["side"] == side), None)
        if first is not None:
            print(f"{side}: " + ", ".join(f"{k} {v}" for k, v in first["versions"].items()))
    print(format_table(records, deepctr_names))
    if args.json_out:
        pathlib.Path(args.json_out).write_text(json.dumps(records, indent=1))


if __name__ == "__main__":
    main()
