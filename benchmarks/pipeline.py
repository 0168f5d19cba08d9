"""Throughput of `prepare` and of iterating the tf.data pipelines on synthetic rows.

Usage: python benchmarks/pipeline.py [--rows 1000000] [--batch 4096] [--history 10]

Rows are made with numpy only (Zipf items, 7 days, spotify objectives), not with
the synthetic module, so the figures measure preprocessing and the pipeline alone.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pandas as pd

from ms_bridge.datasets import pipeline, preprocess
from ms_bridge.datasets.spec import get_spec


def synthetic_log(rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    items = np.minimum(rng.zipf(1.3, rows), 200_000) - 1
    timestamps = np.sort(1_600_000_000 - 1_600_000_000 % 86400 + rng.integers(0, 7 * 86400, rows))
    users = rng.integers(0, max(rows // 50, 1), rows)
    return pd.DataFrame({
        "user_id": users, "item_id": items, "artist_id": items // 10, "timestamp": timestamps.astype(np.int64),
        "session_id": timestamps // 1800,
        "pct_listening": rng.random(rows), "num_times_listening": rng.poisson(2.0, rows).astype(float),
        "feedback_type": rng.integers(-1, 2, rows).astype(float), "in_playlist": rng.integers(0, 2, rows).astype(float),
        "new_fan": np.where(rng.random(rows) < 0.1, np.nan, rng.random(rows)), "recurring_fan": rng.random(rows)})


def rate(rows: int, seconds: float) -> str:
    return f"{rows / seconds:,.0f} rows/s ({seconds:.2f} s)"


def iterate(ds) -> tuple[int, float]:
    start, rows = time.perf_counter(), 0
    for features, _, _ in ds:
        rows += int(features["user_id"].shape[0])
    return rows, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=4096)
    parser.add_argument("--history", type=int, default=10)
    args = parser.parse_args()
    spec = get_spec("spotify")
    frame = synthetic_log(args.rows)
    print(f"synthetic log: {len(frame):,} rows, {frame['user_id'].nunique():,} users, "
          f"{frame['item_id'].nunique():,} items")

    for history in (0, args.history):
        start = time.perf_counter()
        data = preprocess.prepare(frame, spec, history_length=history)
        print(f"prepare (spotify_days, 5-core, history {history}): {rate(len(frame), time.perf_counter() - start)}; "
              f"kept {sum(data.report['split']['rows'].values()):,}, removed by k-core "
              f"{data.report['kcore']['rows_removed']:,}")

    train = data.train
    for shuffle in (False, True):
        ds = data.dataset("train", args.batch, shuffle=shuffle, seed=0)
        iterate(ds.take(2))  # warm-up: tracing
        rows, seconds = iterate(ds)
        print(f"make_dataset batch {args.batch}, shuffle={shuffle}, history {data.history_length}: {rate(rows, seconds)}")

    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        columns = ["user_idx", "item_idx", "artist_idx", "recent_items", *spec.objective_names]
        pipeline.write_parquet_shards(train, folder, rows_per_shard=250_000, columns=columns)
        print(f"write_parquet_shards (250k rows/shard): {rate(len(train), time.perf_counter() - start)}")
        for shuffle in (False, True):
            ds = pipeline.dataset_from_parquet(folder, spec, args.batch, shuffle=shuffle,
                                               history_length=data.history_length)
            rows, seconds = iterate(ds)
            print(f"dataset_from_parquet batch {args.batch}, shuffle={shuffle}: {rate(rows, seconds)}")


if __name__ == "__main__":
    main()
