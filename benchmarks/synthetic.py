"""Times the synthetic generator at paper scale and reports peak memory.

Run: `.venv/bin/python benchmarks/synthetic.py [--dataset=spotify] [--scale=paper] [--seed=0]`.
Prints wall seconds, rows, distinct users/items/artists and the process's peak resident memory
(target for spotify at paper scale: <= 60 s).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="spotify")
    parser.add_argument("--scale", default="paper", choices=("small", "paper"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    from ms_bridge.datasets import synthetic

    base_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    frame = synthetic.generate(args.dataset, scale=args.scale, seed=args.seed)
    seconds = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"synthetic.generate({args.dataset!r}, scale={args.scale!r}, seed={args.seed})")
    print(f"  seconds:            {seconds:.1f}")
    print(f"  rows:               {len(frame):,}")
    print(f"  users/items/artists: {frame['user_id'].nunique():,} / {frame['item_id'].nunique():,} / "
          f"{frame['artist_id'].nunique():,}")
    print(f"  peak RSS (MiB):     {peak_mib:,.0f} (after imports: {base_mib:,.0f})")
    print(f"  frame size (MiB):   {frame.memory_usage(deep=True).sum() / 2**20:,.0f}")


if __name__ == "__main__":
    sys.path.insert(0, __import__("os").path.dirname(__import__("os").path.dirname(__file__)))
    main()
