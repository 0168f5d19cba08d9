"""Dataset statistics in the style of the paper's Appendix A (Tables 11-15).

    python -m experiments.data_stats --dataset=spotify                  # synthetic, small
    python -m experiments.data_stats --dataset=mlhd --data_path=LFM-1b_LEs.txt --format=lfm1b

Writes to `<output_dir>/data_stats/<dataset>/`:
- `counts.{md,csv,tex}`: Table 11 (users, items, artists, interactions, sparsity);
- `table.{md,csv,tex}`: Tables 12-15, per objective: stakeholder, type, known rows, mean, std,
  median, 25% and 75% percentiles on the scaled values (SPEC §2, q99 taken on the whole log,
  which is what the paper's tables describe), and the raw mean;
- `config.json`: flags, seed, data fingerprint, versions.
Both tables are also printed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from absl import app, flags

from experiments import common

FLAGS = flags.FLAGS


def counts_table(frame: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """Table 11 row: distinct users, items, artists, interactions and sparsity (%).

    Sparsity is interactions / (users x items) in percent, as Table 11 reports it
    (Spotify: 970,013 / (294,469 x 81,948) = 0.004%).

    Example:
    >>> log = pd.DataFrame({"user_id": [1, 1, 2], "item_id": [5, 6, 5], "artist_id": [9, 9, 9]})
    >>> counts_table(log, "toy").to_dict("records")
    [{'users': 2, 'items': 2, 'artists': 1, 'interactions': 3, 'sparsity_pct': 75.0}]
    """
    users, items = frame["user_id"].nunique(), frame["item_id"].nunique()
    row = {"users": users, "items": items, "artists": frame["artist_id"].nunique(),
           "interactions": len(frame), "sparsity_pct": 100.0 * len(frame) / max(users * items, 1)}
    return pd.DataFrame([row], index=pd.Index([dataset], name="dataset"))


def objective_table(frame: pd.DataFrame, spec) -> pd.DataFrame:
    """Tables 12-15: statistics of every objective of `spec` present in `frame`, on scaled values.

    Example:
    >>> from ms_bridge.datasets.spec import get_spec
    >>> log = pd.DataFrame({"video_view": [0.0, 1.0, 1.0, np.nan]})
    >>> objective_table(log, get_spec("youku"))[["known", "mean", "median"]].round(3).to_dict("records")
    [{'known': 3, 'mean': 0.667, 'median': 1.0}]
    """
    from ms_bridge.datasets.preprocess import ObjectiveScaler

    present = [o for o in spec.objectives if o.name in frame.columns]
    if not present:
        raise ValueError(f"the frame has none of {spec.name!r}'s objectives {spec.objective_names}; "
                         f"its columns are {list(frame.columns)}")
    scaler = ObjectiveScaler(present).fit(frame)
    scaled = scaler.transform(frame)
    rows = []
    for o in present:
        y = scaled[o.name].to_numpy(dtype=np.float64)
        y = y[~np.isnan(y)]
        raw = frame[o.name].to_numpy(dtype=np.float64)
        stats = (np.mean(y), np.std(y), *np.quantile(y, [0.5, 0.25, 0.75])) if y.size else (np.nan,) * 5
        rows.append({"objective": o.label, "stakeholder": o.stakeholder,
                     "type": "Binary" if o.kind == "binary" else "Numeric", "scaling": o.scaling,
                     "known": int(y.size), "mean": stats[0], "std": stats[1], "median": stats[2],
                     "p25": stats[3], "p75": stats[4], "raw_mean": float(np.nanmean(raw)) if y.size else np.nan})
    return pd.DataFrame(rows).set_index("objective")


def run(config: dict, seed: int) -> dict[str, pd.DataFrame]:
    """Loads the log (or generates it), computes both tables and writes them; returns them."""
    from ms_bridge import reporting
    from ms_bridge.datasets.spec import get_spec

    spec = get_spec(config["dataset"])
    frame = common.load_frame(config, seed=seed)
    tables = {"counts": counts_table(frame, spec.name), "table": objective_table(frame, spec)}
    source = config["data_path"] or f"synthetic ({config['scale']}, seed {seed})"
    out = common.output_folder("data_stats", config)
    reporting.write_table(out, tables["counts"], name="counts",
                          caption=f"Descriptive statistics of {spec.name}: {source}.")
    reporting.write_table(out, tables["table"], name="table",
                          caption=f"Statistics of user and artist objectives in {spec.name} "
                                  f"(scaled values, SPEC §2): {source}.")
    reporting.write_config(out, config, seed=seed, data_fingerprint=reporting.data_fingerprint(frame))
    return tables


def main(argv: list[str]) -> None:
    del argv
    config = common.resolve_config()
    tables = run(config, FLAGS.seed)
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        for name, table in tables.items():
            print(f"== {name}\n{table.round(4).to_string()}\n")
    print(f"written to {common.output_folder('data_stats', config)}")


if __name__ == "__main__":
    app.run(main)
