"""Table 7: the bridge location (paper §5.10), Task 1 accuracy per location.

The Shapley column of the paper is added by the Shapley-location work; this
experiment already trains one MS-Bridge (NCF) per location through the same
builder, `bridge` being a model config key.

    python -m experiments.table7 --dataset=spotify --seeds=3
"""

from __future__ import annotations

from absl import app

from experiments import common, task1_report

LOCATIONS = ("input", "bottom", "middle", "top", "output")


def main(argv):
    del argv
    config = common.resolve_config()
    rows = [task1_report.row("ms_bridge_ncf", slug=f"bridge_{loc}", label=f"Bridge at {loc}", bridge_location=loc)
            for loc in LOCATIONS]
    task1_report.run_task1_experiment("table7", config, rows, reference="bridge_middle",
                                      caption="Bridge location (Task 1 accuracy, scaled targets)")


if __name__ == "__main__":
    app.run(main)
