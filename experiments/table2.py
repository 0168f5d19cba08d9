"""Table 2 (Task 1 RMSE/MAE) and Tables 16–18 (AUC/F1) from the same runs.

Rows: every registered single- and multi-objective baseline, the
single-objective towers, NCF and Wide&Deep without the bridge, and MS-Bridge
with each backbone. A baseline that registers itself gets its row here with no
change to this file.

    python -m experiments.table2 --dataset=spotify --scale=small --seeds=3
"""

from __future__ import annotations

from absl import app, flags

from experiments import common, task1_report
from ms_bridge import registry

FLAGS = flags.FLAGS

#: rows of the MS-Bridge builder in Table 2, after the registered baselines
OWN_ROWS = ("single_objective_towers", "no_bridge_ncf", "no_bridge_wide_deep", "ms_bridge_wide_deep",
            "ms_bridge_ncf")
BASELINE_FAMILIES = ("single-objective", "multi-objective")


def default_rows() -> list[str]:
    import baselines  # noqa: F401  (registers every baseline)
    names = []
    for family in BASELINE_FAMILIES:
        names += [n for n in registry.list_models(family=family) if n not in OWN_ROWS]
    return names + list(OWN_ROWS)


def main(argv):
    del argv
    config = common.resolve_config()
    names = config["models"].split(",") if config["models"] else default_rows()
    task1_report.run_task1_experiment("table2", config, [task1_report.row(n) for n in names],
                                      reference="ms_bridge_ncf",
                                      caption="Task 1: objective prediction accuracy (scaled targets)")


if __name__ == "__main__":
    app.run(main)
