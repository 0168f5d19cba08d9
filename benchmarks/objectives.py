"""Times `fan_objectives` + `num_times_listening` on a synthetic listening log.

Targets (SPEC, 2 cores): 9M rows in <= 60 s and <= 6 GB peak resident memory.

    .venv/bin/python benchmarks/objectives.py              # 9M rows
    .venv/bin/python benchmarks/objectives.py --rows=200000 # quick check

Users, artists and items are drawn from Zipf-like popularity (items belong to one
artist each), timestamps uniformly over 30 days and left unsorted, so the sorts are
exercised the way an unsorted reader output would exercise them.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

import numpy as np
import pandas as pd

from ms_bridge.objectives import fan_objectives, num_times_listening


def synthetic_log(rows: int, users: int, artists: int, items: int, days: int, seed: int) -> pd.DataFrame:
    """A log of `rows` plays with long-tail user, item and artist popularity."""
    rng = np.random.default_rng(seed)
    item_artist = rng.integers(0, artists, size=items)

    def zipf_draw(n: int, size: int, exponent: float) -> np.ndarray:
        weights = 1.0 / np.arange(1, n + 1) ** exponent
        return rng.choice(n, size=size, p=weights / weights.sum())

    item = zipf_draw(items, rows, 0.8)
    return pd.DataFrame({
        "user_id": zipf_draw(users, rows, 0.5),
        "item_id": item,
        "artist_id": item_artist[item],
        "timestamp": rng.integers(1_500_000_000, 1_500_000_000 + days * 86_400, size=rows),
    })


def peak_rss_gib() -> float:
    """Peak resident set size of this process (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (2**30 if sys.platform == "darwin" else 2**20)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=9_000_000)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--artists", type=int, default=50_000)
    parser.add_argument("--items", type=int, default=500_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.rows <= 0:
        raise ValueError(f"--rows must be positive, got {args.rows}")

    start = time.perf_counter()
    log = synthetic_log(args.rows, args.users, args.artists, args.items, args.days, args.seed)
    built = time.perf_counter() - start
    rss_before = peak_rss_gib()

    start = time.perf_counter()
    fans = fan_objectives(log)
    fan_s = time.perf_counter() - start
    start = time.perf_counter()
    counts = num_times_listening(log)
    count_s = time.perf_counter() - start

    total = fan_s + count_s
    print(f"rows                         {len(log):>12,}")
    print(f"build synthetic log (s)      {built:12.2f}")
    print(f"fan_objectives (s)           {fan_s:12.2f}")
    print(f"num_times_listening (s)      {count_s:12.2f}")
    print(f"total objectives (s)         {total:12.2f}   target <= 60")
    print(f"peak RSS after build (GiB)   {rss_before:12.2f}")
    print(f"peak RSS overall (GiB)       {peak_rss_gib():12.2f}   target <= 6")
    print(f"mean new_fan / recurring_fan {fans['new_fan'].mean():.4f} / {fans['recurring_fan'].mean():.4f}")
    print(f"mean num_times_listening     {counts.mean():.4f}")


if __name__ == "__main__":
    main()
