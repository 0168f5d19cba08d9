"""Seconds per Table 1 trial (market sampling + the three strategies) at two sizes.

Targets: N=1,000, M=100 (dense, exact-candidate search) <= 5 s per trial;
N=100,000, M=10,000 (64 candidates per user, single-move search) <= 120 s.

Usage:
    python benchmarks/allocation.py [--large_trials=1] [--small_trials=3]
"""

from __future__ import annotations

import argparse
import resource
import time

from ms_bridge import allocation


def time_trials(num_users: int, num_artists: int, trials: int, candidates: int | None) -> tuple[float, float, float]:
    """Per trial: (wall seconds, CPU seconds of this process, wall seconds spent sampling).

    CPU seconds are the figure to compare on a shared machine, where wall time
    also counts waiting for other processes.
    """
    total = cpu = sampling = 0.0
    for trial in range(trials):
        start, cpu_start = time.perf_counter(), time.process_time()
        market = allocation.generate_market(num_users, num_artists, seed=(0, trial), candidates=candidates)
        sampled = time.perf_counter()
        cache: dict = {}
        for strategy in allocation.STRATEGIES:
            allocation._solve_slots(market, strategy, 0, 0, 10_000, cache)
        total += time.perf_counter() - start
        cpu += time.process_time() - cpu_start
        sampling += sampled - start
    return total / trials, cpu / trials, sampling / trials


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small_trials", type=int, default=3)
    parser.add_argument("--large_trials", type=int, default=1)
    args = parser.parse_args()
    for n, m, trials, cand, target in ((1_000, 100, args.small_trials, None, 5.0),
                                       (100_000, 10_000, args.large_trials, allocation.DEFAULT_CANDIDATES, 120.0)):
        if trials <= 0:
            continue
        per_trial, cpu, sampling = time_trials(n, m, trials, cand)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"N={n:>7,} M={m:>6,} candidates={cand or m:>4}: {per_trial:7.2f} s/trial wall, "
              f"{cpu:7.2f} s/trial CPU (sampling {sampling:5.2f} s wall; target <= {target:.0f} s; "
              f"peak RSS {peak_mb:,.0f} MB)", flush=True)


if __name__ == "__main__":
    main()
