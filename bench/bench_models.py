"""Model quality on the real data, out of time: prints each quality bar and the measured value.

Builds the warehouse at as_of_date 2011-09-10 with H = 90 days (fit on the
snapshot at 2011-03-14, validate on 2011-06-12), then reads ml.model_metrics
and the segment sizes. Numbers only: nothing here tunes anything.

    uv run python bench/bench_models.py [--as-of-date 2011-09-10] [--algorithm kmeans]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import duckdb
from scratch import REAL_DATA, loaded_warehouse, run

BARS = (
    # (family, model, metric, bar, higher is better)
    ("churn", "chosen", "roc_auc", 0.76, True),
    ("churn", "chosen", "pr_auc", None, True),
    ("churn", "chosen", "brier", None, False),
    ("churn", "chosen", "log_loss", None, False),
    ("churn", "logistic", "roc_auc", None, True),
    ("churn", "xgboost", "roc_auc", None, True),
    ("churn", "ensemble", "roc_auc", None, True),
    ("churn", "recency_baseline", "roc_auc", None, True),
    ("churn", "bgnbd_baseline", "roc_auc", None, True),
    ("churn", "chosen", "decision_threshold", None, True),
    ("churn", "chosen", "net_benefit_expected_value_rule", None, True),
    ("churn", "chosen", "contact_share_expected_value_rule", None, True),
    ("churn", "chosen", "net_benefit_best_threshold", None, True),
    ("churn", "chosen", "net_benefit_contact_everybody", None, True),
    ("ltv", "xgboost_tweedie", "spearman", 0.50, True),
    ("ltv", "xgboost_tweedie", "top_decile_capture", 0.56, True),
    ("ltv", "xgboost_tweedie", "mae", "baselines", False),
    ("ltv", "last_horizon_spend", "mae", None, False),
    ("ltv", "bgnbd_gamma_gamma", "mae", None, False),
    ("ltv", "last_horizon_spend", "spearman", None, True),
    ("ltv", "bgnbd_gamma_gamma", "spearman", None, True),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--as-of-date", default="2011-09-10")
    parser.add_argument("--algorithm", default="kmeans", choices=["kmeans", "minibatch_kmeans", "gmm", "dbscan"])
    parser.add_argument("--data", type=Path, default=REAL_DATA)
    args = parser.parse_args()
    with loaded_warehouse(args.data, "retail-models-") as (folder, env):
        warehouse = folder / "retail.duckdb"
        started = time.perf_counter()
        run(
            [
                "build",
                "--as-of-date",
                args.as_of_date,
                "--vars",
                json.dumps({"segmentation_algorithm": args.algorithm}),
            ],
            env,
        )
        build_seconds = time.perf_counter() - started
        con = duckdb.connect(str(warehouse), read_only=True)
        metrics = {
            (family, model, metric): value
            for family, model, metric, value in con.execute(
                "select model_family, model_name, metric, value from ml.model_metrics where split = 'validation'"
            ).fetchall()
        }
        fit = dict(
            con.execute(
                "select metric, value from ml.model_metrics where model_family = 'segmentation' and split = 'fit'"
            ).fetchall()
        )
        segments = con.execute(
            "select segment_id, segment_name, customers, customer_share, mean_churn_probability, "
            "mean_predicted_ltv, recommended_action from reporting.segment_summary order by segment_id"
        ).fetchall()
        con.close()

    print(f"as_of_date {args.as_of_date}, H = 90 days; dbt build with training {build_seconds:.0f} s\n")
    print(f"{'family':<7} {'model':<20} {'metric':<32} {'value':>12} {'bar':>10}  verdict")
    baseline_mae = min(metrics[("ltv", "last_horizon_spend", "mae")], metrics[("ltv", "bgnbd_gamma_gamma", "mae")])
    for family, model, metric, bar, higher in BARS:
        value = metrics[(family, model, metric)]
        if bar is None:
            print(f"{family:<7} {model:<20} {metric:<32} {value:>12.4f}")
            continue
        target = baseline_mae if bar == "baselines" else float(bar)
        passed = value >= target if higher else value < target
        shown = "< baselines" if bar == "baselines" else f"{'>=' if higher else '<'} {target:g}"
        print(f"{family:<7} {model:<20} {metric:<32} {value:>12.4f} {shown:>10}  {'PASS' if passed else 'MISS'}")
    print(
        f"\nsegmentation ({args.algorithm}): silhouette {fit.get('silhouette', float('nan')):.3f}, "
        f"Davies-Bouldin {fit.get('davies_bouldin', float('nan')):.3f}"
    )
    smallest = min((share for segment_id, _, _, share, *_ in segments if segment_id != -1), default=0.0)
    print(f"smallest non-noise segment share {smallest:.3f} (bar >= 0.02): {'PASS' if smallest >= 0.02 else 'MISS'}")
    for segment_id, name, customers, share, churn, ltv, action in segments:
        print(
            f"  {segment_id:>3} {name:<22} {customers:>6} {share:>6.1%}  churn {churn:.2f}  LTV {ltv:>8.0f}  {action}"
        )


if __name__ == "__main__":
    main()
