"""Retraining policy over scheduled builds: the registry champion scores between retrainings."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from models_py.ml.retraining import FAMILIES
from models_py.ml.tracking import champion
from tests.python.conftest import WITHOUT_DATA_TESTS, Workspace, make_workspace
from tests.python.exports import demo_lines, is_service_code

pytestmark = pytest.mark.integration


def plan(workspace: Workspace) -> dict[str, tuple[bool, str]]:
    rows = workspace.query("select family, retrain, reason from ml.retraining_plan")
    return {str(family): (bool(retrain), str(reason)) for family, retrain, reason in rows}


def reference_of(workspace: Workspace) -> tuple[object, ...]:
    """The drift reference's cutoff and customer count."""
    return workspace.query("select cast(max(as_of_date) as varchar), count(*) from ml.drift_reference_features")[0]


def versions(workspace: Workspace) -> set[tuple[object, ...]]:
    return set(
        workspace.query(
            "select 'churn', model_version, trained_as_of_date from ml.churn_scores union "
            "select 'ltv', model_version, trained_as_of_date from ml.ltv_scores union "
            "select 'segmentation', model_version, trained_as_of_date from ml.customer_segments"
        )
    )


def realised_churn(source: Path, customers: list[str], scored_on: str, horizon_days: int = 90) -> list[bool]:
    """Whether each customer placed no purchase in [scored_on, + horizon), from the demo CSV in pandas:
    a purchase is a line with a customer, not on a C invoice, positive quantity and price, not a service code."""
    lines = demo_lines(source)
    start = pd.Timestamp(scored_on)
    purchase = (
        (lines["CustomerID"] != "")
        & ~lines["InvoiceNo"].str.startswith("C")
        & (pd.to_numeric(lines["Quantity"]) > 0)
        & (pd.to_numeric(lines["UnitPrice"]) > 0)
        & ~is_service_code(lines["StockCode"])
        & (lines["ordered_at"] >= start)
        & (lines["ordered_at"] < start + pd.Timedelta(days=horizon_days))
    )
    active = set(lines.loc[purchase, "CustomerID"])
    return [customer not in active for customer in customers]


def test_max_age_policy_scores_with_the_champion_until_it_is_too_old(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # dbt's parse messages below are debug-level lines of logs/dbt.log.
    monkeypatch.setenv("DBT_LOG_LEVEL_FILE", "debug")
    workspace = make_workspace(tmp_path)
    data = tmp_path / "demo.csv.gz"
    workspace.run("demo-data", "--rows", "40000", "--out", data, check=True)
    workspace.run("ingest", data, check=True)
    policy = ("--vars", "{retrain_policy: max_age, retrain_max_age_days: 45}")

    latest_cutoff = "select cast(max(as_of_date) as varchar) from marts.customer_training_snapshots"

    workspace.run("build", "--as-of-date", "2011-09-01", *policy, *WITHOUT_DATA_TESTS, check=True)
    first, first_cutoff, first_reference = versions(workspace), workspace.scalar(latest_cutoff), reference_of(workspace)
    # One customer removed from the drift reference by hand stays missing for as long as the table is kept.
    con = duckdb.connect(str(workspace.warehouse))
    table = "ml.drift_reference_features"
    con.execute(f"delete from {table} where customer_id = (select min(customer_id) from {table})")
    con.close()
    workspace.run("build", "--as-of-date", "2011-10-01", *policy, *WITHOUT_DATA_TESTS, check=True)
    reused, reused_plan, reused_cutoff = versions(workspace), plan(workspace), workspace.scalar(latest_cutoff)
    reused_reference = reference_of(workspace)
    workspace.run("build", "--as-of-date", "2011-10-20", *policy, *WITHOUT_DATA_TESTS, check=True)
    aged_plan, aged_cutoff, aged_reference = plan(workspace), workspace.scalar(latest_cutoff), reference_of(workspace)
    workspace.run("build", "--as-of-date", "2011-08-01", *policy, check=True)
    backfill_plan, backfill = plan(workspace), versions(workspace)

    date = "2011-09-01"
    assert {(family, version, str(trained)) for family, version, trained in first} == {
        ("churn", 1, date),
        ("ltv", 1, date),
        ("segmentation", 1, date),
    }
    assert reused == first, "30 days later the champion still scores"
    assert not any(retrain for retrain, _ in reused_plan.values())
    # The training snapshots (validation cutoff as_of_date - 90 days) are rebuilt only to retrain.
    assert (first_cutoff, reused_cutoff, aged_cutoff) == ("2011-06-03", "2011-06-03", "2011-07-22")
    # So is the drift reference: kept (one customer short) while the champion scores, rebuilt at the
    # new cutoff when churn retrains.
    assert reused_reference == (first_reference[0], first_reference[1] - 1)
    assert aged_reference[0] == "2011-07-22" and aged_reference[1] > first_reference[1]
    assert all(retrain and "49 days old" in reason for retrain, reason in aged_plan.values())
    assert all(retrain and "backfill" in reason for retrain, reason in backfill_plan.values())
    assert {version for _, version, _ in backfill} == {3}
    # The backfill model was registered but not promoted: version 2 is still the champion.
    tracking_uri = workspace.settings.tracking_uri
    assert {family: champion(tracking_uri, family).version for family in FAMILIES} == dict.fromkeys(FAMILIES, 2)  # type: ignore[union-attr]
    assert workspace.scalar("select count(distinct model_run_id) from ml.model_metrics") == 3
    # The dates reach dbt as an env var read at run time: only the first build (new vars)
    # re-parsed the project; the three later dates re-parsed no file.
    log = (workspace.root / "logs" / "dbt.log").read_text()
    assert log.count("Unable to do partial parsing because config vars") <= 1
    assert log.count("Partial parsing enabled, no changes found, skipping parsing") == 3


def test_on_drift_policy_retrains_when_a_drift_test_errors(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path)
    demo = tmp_path / "demo.csv"
    shifted = tmp_path / "shifted.csv"
    workspace.run("demo-data", "--rows", "40000", "--out", demo, check=True)
    # From mid-June customers buy eight times the quantity: a shift in spend features.
    con = duckdb.connect()
    con.execute(
        f"copy (select * replace (case when InvoiceDate >= '2011-06-15' then Quantity * 8 else Quantity end "
        f"as Quantity) from read_csv('{demo}', types={{'InvoiceDate': 'timestamp'}})) to '{shifted}' (header)"
    )
    con.close()
    workspace.run("ingest", shifted, check=True)
    # Feature drift only warns by default; on_drift retrains on drift errors.
    policy = ("--vars", "{retrain_policy: on_drift, drift_min_history_days: 0, feature_drift_severity: error}")

    # The champion: trained before the shift.
    workspace.run("build", "--as-of-date", "2011-06-15", *policy, *WITHOUT_DATA_TESTS, check=True)
    before = versions(workspace)
    result = workspace.run("build", "--as-of-date", "2011-12-09", *policy)

    assert "retraining (retrain_policy on_drift)" in result.stderr, result.stdout[-3000:]
    announced = next(line for line in result.stderr.splitlines() if line.startswith("drift error on "))
    # The features the one feature-drift test graded error, read from its failing rows.
    assert "monetary" in announced.removeprefix("drift error on ").split(":")[0].split(", ")
    assert all(retrain and "forced" in reason for retrain, reason in plan(workspace).values())
    assert {version for _, version, _ in before} == {1}
    assert {version for _, version, _ in versions(workspace)} == {2}
    # The rebuilt build measured drift against the new model's snapshot (as_of_date - 90 days).
    assert str(workspace.scalar("select min(as_of_date) from ml.drift_reference_features")) == "2011-09-10"
    # Whether drift remains against it decides the exit code; either way the report has the day.
    assert workspace.scalar("select count(*) from reporting.drift_report where as_of_date = '2011-12-09'") > 0


def test_performance_drift_fails_when_realised_auc_drops(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path)
    demo = tmp_path / "demo.csv"
    scrambled = tmp_path / "scrambled.csv"
    workspace.run("demo-data", "--rows", "40000", "--out", demo, check=True)
    # After 2011-06-08 every customer's orders are another customer's: the
    # scores of 2011-06-08 meet futures unrelated to them (realised AUC ~ 0.5).
    con = duckdb.connect()
    con.execute(
        f"""
        create table demo as select * from read_csv('{demo}', types={{'InvoiceDate': 'timestamp',
            'CustomerID': 'varchar'}});
        create table ids as
        select CustomerID, row_number() over (order by hash(CustomerID)) as position, count(*) over () as n
        from (select distinct CustomerID from demo where CustomerID is not null);
        copy (
            select demo.* replace (
                case when demo.InvoiceDate >= '2011-06-08' then other.CustomerID else demo.CustomerID end
                    as CustomerID)
            from demo
            left join ids as own on demo.CustomerID = own.CustomerID
            left join ids as other on other.position = (own.position + own.n // 2) % own.n + 1
        ) to '{scrambled}' (header)
        """
    )
    con.close()
    workspace.run("ingest", demo, check=True)
    for as_of in ("2011-06-01", "2011-06-08", "2011-09-01"):
        workspace.run("build", "--as-of-date", as_of, *WITHOUT_DATA_TESTS, check=True)
    graded_first = workspace.query("select scored_as_of_date, status from reporting.model_performance")

    workspace.run("ingest", scrambled, check=True)
    result = workspace.run("build", "--as-of-date", "2011-09-07")

    assert [(str(date), status) for date, status in graded_first] == [("2011-06-01", "ok")]
    assert result.returncode == 1
    assert "assert_churn_performance_within_tolerance" in result.stdout
    row = workspace.query(
        "select status, realised_roc_auc, validation_roc_auc from reporting.model_performance "
        "where scored_as_of_date = '2011-06-08'"
    )
    status, realised, validation = row[0]
    assert status == "error" and float(realised) < 0.9 * float(validation)  # type: ignore[arg-type]
    assert (
        workspace.scalar(
            "select status from reporting.drift_report where check_name = 'performance_roc_auc:2011-06-08'"
        )
        == "error"
    )
    # Realised ROC-AUC is sklearn's on the same scores and what the demo files say happened next.
    for scored_on, source in (("2011-06-01", demo), ("2011-06-08", scrambled)):
        scores = workspace.query(
            "select customer_id, churn_probability from reporting.score_history where as_of_date = ?", [scored_on]
        )
        customers, probabilities = [str(row[0]) for row in scores], [float(row[1]) for row in scores]
        churned = realised_churn(source, customers, scored_on)
        realised = workspace.scalar(
            "select realised_roc_auc from reporting.model_performance where scored_as_of_date = ?", [scored_on]
        )
        assert 0 < sum(churned) < len(churned)
        assert float(realised) == pytest.approx(roc_auc_score(churned, probabilities), rel=1e-9)  # type: ignore[arg-type]
