"""Table 6: how the towers are connected (paper §5.9), Task 1 accuracy.

    python -m experiments.table6 --dataset=spotify --seeds=3
"""

from __future__ import annotations

from absl import app

from experiments import common, task1_report

ROWS = ("single_objective_towers", "chain_artist_to_user", "chain_artist_to_user_loop", "chain_user_to_artist",
        "chain_user_to_artist_loop", "fully_connected_towers", "no_bridge_ncf", "ms_bridge_ncf")


def main(argv):
    del argv
    config = common.resolve_config()
    names = config["models"].split(",") if config["models"] else ROWS
    task1_report.run_task1_experiment("table6", config, [task1_report.row(n) for n in names],
                                      reference="ms_bridge_ncf",
                                      caption="Tower connections (Task 1 accuracy, scaled targets)")


if __name__ == "__main__":
    app.run(main)
