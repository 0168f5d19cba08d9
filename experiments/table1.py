"""Table 1: MAUT-User vs MAUT-Artist vs MS-NSW on the §3.2 motivational market.

Writes `<output_dir>/table1/motivational/` with `table.{md,csv,tex}` (mean and
sample std over trials per strategy), `trials.csv` (every trial), `metrics.json`
and `config.json`. Choices: docs/table1_allocation.md.

Usage:
    python -m experiments.table1 --num_users=1000 --num_artists=100 --trials=10 --seed=0
"""

from __future__ import annotations

import pathlib

from absl import app, flags, logging

from experiments import common  # noqa: F401  (defines the shared --seed and --output_dir)
from ms_bridge import allocation, reporting

FLAGS = flags.FLAGS
flags.DEFINE_integer("num_users", 1000, "N, users in the market.")
flags.DEFINE_integer("num_artists", 100, "M, artists in the market (10% superstars).")
flags.DEFINE_integer("trials", 10, "Independent markets; the table reports mean and std over them.")
flags.DEFINE_integer("candidates", 0, "Candidate artists per user; 0 = automatic (all artists for Table 1 sizes).")
flags.DEFINE_integer("restarts", 0, "Extra local searches from random allocations per strategy.")

CAPTION = "Comparison of optimisation strategies on the motivational market (mean and std over trials)"


def run_experiment(num_users: int = 1000, num_artists: int = 100, trials: int = 10, seed: int = 0,
                   output_dir: str | pathlib.Path = "results/", candidates: int | None = None,
                   restarts: int = 0) -> pathlib.Path:
    """Runs the trials and writes the results; returns the result folder."""
    out = pathlib.Path(output_dir) / "table1" / "motivational"
    per_trial = allocation.run_trials(
        num_users, num_artists, trials, seed, candidates=candidates, restarts=restarts,
        progress=lambda t: logging.info("trial %d/%d done", t + 1, trials))
    table = allocation.summarise(per_trial)
    reporting.write_table(out, table, name="table", caption=CAPTION)
    reporting.atomic_write_text(out / "trials.csv", per_trial.to_csv(index=False))
    reporting.write_json(out / "metrics.json", {
        "per_strategy": {s: row.to_dict() for s, row in table.iterrows()},
        "per_trial": per_trial.to_dict(orient="records"),
    })
    reporting.write_config(out, {"num_users": num_users, "num_artists": num_artists, "trials": trials,
                                 "seed": seed, "candidates": candidates, "restarts": restarts,
                                 "output_dir": str(output_dir),
                                 "market": allocation.MarketConfig().__dict__},
                           seed=seed, data_fingerprint=None)
    return out


def main(argv):
    del argv
    out = run_experiment(FLAGS.num_users, FLAGS.num_artists, FLAGS.trials, FLAGS.seed, FLAGS.output_dir,
                         candidates=FLAGS.candidates or None, restarts=FLAGS.restarts)
    print((out / "table.md").read_text())
    print(f"written to {out}")


if __name__ == "__main__":
    app.run(main)
