"""`retail backtest`: a build at a past date, measured against what the customers did next."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from tests.python.conftest import Workspace, copy_workspace

pytestmark = [pytest.mark.integration]

HORIZON = 90


def _frame(path: Path, sql: str) -> pd.DataFrame:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def test_backtest_metrics_equal_sklearn_on_the_real_outcomes(demo_build: Workspace, tmp_path: Path) -> None:
    workspace = copy_workspace(demo_build, tmp_path / "workspace")
    last = workspace.scalar("select max(ordered_at) from intermediate.int_purchase_lines_kept")
    as_of = last.date() + timedelta(days=1) - timedelta(days=HORIZON)

    result = workspace.run("backtest", "--as-of-dates", as_of.isoformat(), "--keep", check=True)

    assert "roc_auc" in result.stdout and as_of.isoformat() in result.stdout and "churn model: " in result.stderr
    built = workspace.warehouse.parent / "backtest" / as_of.isoformat() / "retail.duckdb"
    features = _frame(built, "select customer_id, last_ordered_at from marts.customer_features")
    assert features["last_ordered_at"].max() < pd.Timestamp(as_of)  # the build saw only the past
    scores = _frame(
        built,
        "select churn.customer_id, churn_probability, predicted_ltv from ml.churn_scores as churn "
        "join ml.ltv_scores using (customer_id)",
    ).set_index("customer_id")
    lines = _frame(
        built, "select customer_id, order_id, line_amount, ordered_at from intermediate.int_purchase_lines_kept"
    )
    start = pd.Timestamp(as_of)
    future = lines[(lines["ordered_at"] >= start) & (lines["ordered_at"] < start + pd.Timedelta(days=HORIZON))]
    orders = future.groupby("customer_id")["order_id"].nunique().reindex(scores.index, fill_value=0)
    spend = future.groupby("customer_id")["line_amount"].sum().astype(float).reindex(scores.index, fill_value=0.0)
    churned = (orders == 0).astype(int)
    top = scores["predicted_ltv"].sort_values(ascending=False, kind="stable").index[: int(np.ceil(len(scores) / 10))]
    expected = {
        ("churn", "chosen", "roc_auc"): roc_auc_score(churned, scores["churn_probability"]),
        ("churn", "chosen", "pr_auc"): average_precision_score(churned, scores["churn_probability"]),
        ("churn", "chosen", "brier"): brier_score_loss(churned, scores["churn_probability"]),
        ("churn", "chosen", "churn_rate"): churned.mean(),
        ("ltv", "xgboost_tweedie", "mae"): (spend - scores["predicted_ltv"]).abs().mean(),
        ("ltv", "xgboost_tweedie", "spearman"): spearmanr(spend, scores["predicted_ltv"]).statistic,
        ("ltv", "xgboost_tweedie", "top_decile_capture"): spend[top].sum() / spend.sum(),
    }
    assert 0.2 < churned.mean() < 0.8  # both outcomes are common: the check is not vacuous

    stored = _frame(
        workspace.warehouse.parent / "backtest" / "backtest.duckdb",
        "select as_of_date, family, model_name, metric, value, customers from backtest_metrics",
    )
    assert set(stored["as_of_date"].astype(str)) == {as_of.isoformat()}
    assert set(stored["customers"]) == {len(scores)}
    values = stored.set_index(["family", "model_name", "metric"])["value"]
    for key, value in expected.items():
        assert values[key] == pytest.approx(value, rel=1e-6, abs=1e-9), key
    assert {"bgnbd_baseline", "recency_baseline", "bgnbd_gamma_gamma", "last_horizon_spend"} <= set(
        stored["model_name"]
    )


def test_backtest_refuses_a_date_without_a_full_horizon_after_it(demo_build: Workspace, tmp_path: Path) -> None:
    workspace = copy_workspace(demo_build, tmp_path / "workspace")
    last = workspace.scalar("select max(ordered_at) from intermediate.int_purchase_lines_kept")
    too_late = last.date() - timedelta(days=10)

    result = workspace.run("backtest", "--as-of-dates", f"{too_late:%Y-%m-%d}")

    assert result.returncode != 0
    assert f"backtest at {too_late} needs {HORIZON} days of data after it" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (workspace.warehouse.parent / "backtest" / too_late.isoformat()).exists()  # cleaned up


def test_backtest_too_early_to_train_says_why(demo_build: Workspace, tmp_path: Path) -> None:
    """The training snapshots sit two horizons before the date: with less history the build stops,
    and the backtest passes on the build's reason instead of only naming the failed model."""
    workspace = copy_workspace(demo_build, tmp_path / "workspace")
    first = workspace.scalar("select min(ordered_at) from intermediate.int_purchase_lines_kept")
    too_early = first.date() + timedelta(days=HORIZON + 10)

    result = workspace.run("backtest", "--as-of-dates", f"{too_early:%Y-%m-%d}")

    assert result.returncode != 0
    assert (
        f"backtest build at {too_early} failed on model.retail_retention.customer_training_snapshots: "
        "churn and LTV cannot be trained" in result.stderr
    )
    assert "Traceback" not in result.stderr


def test_backtest_rejects_a_malformed_date(demo_build: Workspace, tmp_path: Path) -> None:
    result = copy_workspace(demo_build, tmp_path / "workspace").run("backtest", "--as-of-dates", "2011-13-01")

    assert result.returncode != 0 and "'2011-13-01' is not a YYYY-MM-DD date" in result.stderr
