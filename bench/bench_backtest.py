"""Model quality on the real future: `retail backtest` on the real data, with the quality bars.

Ingests the shared Online Retail file into a scratch warehouse, runs
`retail backtest` at 2011-06-10 and 2011-09-10 (each: build with only the data
before the date, score, compare with the next 90 days), then prints each bar
and whether the project beats BG/NBD + Gamma-Gamma on every metric. Numbers
only: nothing here tunes anything, and nothing may be tuned on these dates.

    uv run python bench/bench_backtest.py [--as-of-dates 2011-06-10,2011-09-10]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import duckdb
from scratch import REAL_DATA, loaded_warehouse, run

BARS = (
    ("churn", "chosen", "roc_auc", 0.76),
    ("ltv", "xgboost_tweedie", "spearman", 0.52),
    ("ltv", "xgboost_tweedie", "top_decile_capture", 0.57),
)
# (ours, the BG/NBD baseline, metric, higher is better)
VERSUS_BGNBD = (
    ("chosen", "bgnbd_baseline", "roc_auc", True),
    ("chosen", "bgnbd_baseline", "pr_auc", True),
    ("xgboost_tweedie", "bgnbd_gamma_gamma", "mae", False),
    ("xgboost_tweedie", "bgnbd_gamma_gamma", "rmse", False),
    ("xgboost_tweedie", "bgnbd_gamma_gamma", "spearman", True),
    ("xgboost_tweedie", "bgnbd_gamma_gamma", "top_decile_capture", True),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--as-of-dates", default="2011-06-10,2011-09-10")
    parser.add_argument("--data", type=Path, default=REAL_DATA)
    args = parser.parse_args()
    with loaded_warehouse(args.data, "retail-backtest-") as (folder, env):
        print(run(["backtest", "--as-of-dates", args.as_of_dates], env))
        con = duckdb.connect(str(folder / "backtest" / "backtest.duckdb"), read_only=True)
        rows = con.execute("select as_of_date, model_name, metric, value from backtest_metrics").fetchall()
        con.close()
    values = {(str(day), model, metric): value for day, model, metric, value in rows}
    for day in args.as_of_dates.split(","):
        print(f"\n{day}")
        for _, model, metric, bar in BARS:
            value = values[(day, model, metric)]
            print(f"  {model:<16} {metric:<20} {value:.4f}  bar >= {bar}: {'PASS' if value >= bar else 'MISS'}")
        for ours, theirs, metric, higher in VERSUS_BGNBD:
            mine, baseline = values[(day, ours, metric)], values[(day, theirs, metric)]
            better = mine > baseline if higher else mine < baseline
            print(f"  vs {theirs:<18} {metric:<20} {mine:.4f} vs {baseline:.4f}: {'BEAT' if better else 'LOSE'}")


if __name__ == "__main__":
    main()
