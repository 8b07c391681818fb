"""`retail build` (dbt build) end to end on small synthetic data."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

from tests.python.conftest import PROJECT_DIR, WITHOUT_DATA_TESTS, Workspace, copy_workspace, make_workspace

pytestmark = pytest.mark.integration

CONTRACT_TABLES = {
    ("raw", "transactions"),
    ("staging", "stg_retail__transactions"),
    ("intermediate", "int_transaction_lines_classified"),
    ("marts", "data_quality"),
    ("marts", "fct_orders"),
    ("marts", "dim_customers"),
    ("marts", "customer_features"),
    ("marts", "customer_training_snapshots"),
    ("ml", "customer_segments"),
    ("ml", "churn_scores"),
    ("ml", "ltv_scores"),
    ("ml", "model_metrics"),
    ("ml", "customer_embedding"),
    ("reporting", "customer_scores"),
    ("reporting", "segment_summary"),
}


def test_dbt_unit_tests_run_in_the_suite_not_in_each_build(demo_build: Workspace, tmp_path: Path) -> None:
    declared = {
        test["name"]
        for path in (PROJECT_DIR / "dbt_project" / "models").rglob("*.yml")
        for test in (yaml.safe_load(path.read_text()) or {}).get("unit_tests", [])
    }
    built = json.loads((demo_build.root / "target" / "run_results.json").read_text())["results"]
    copy = copy_workspace(demo_build, tmp_path / "copy")
    result = copy.dbt("test", "--select", "test_type:unit")
    ran = [
        row
        for row in json.loads((copy.root / "target" / "run_results.json").read_text())["results"]
        if row["unique_id"].startswith("unit_test.")
    ]

    assert len(declared) >= 6
    assert not [row for row in built if row["unique_id"].startswith("unit_test.")]
    assert result.returncode == 0, result.stdout[-3000:]
    assert {row["unique_id"].rsplit(".", 1)[1] for row in ran} == declared
    assert {row["status"] for row in ran} == {"pass"}


def test_build_log_file_has_no_debug_lines_unless_asked(
    demo_build: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """dbt's debug events (every statement) cost ~2 ms per node: a build writes info lines to logs/dbt.log,
    and DBT_LOG_LEVEL_FILE=debug brings them back."""
    log = (demo_build.root / "logs" / "dbt.log").read_text()
    assert "[info ]" in log and "Finished running" in log
    assert "[debug]" not in log

    copy = copy_workspace(demo_build, tmp_path / "copy")
    copy.run("dbt", "seed", "--select", "rfm_segments", check=True)
    assert "[debug]" not in (copy.root / "logs" / "dbt.log").read_text()
    monkeypatch.setenv("DBT_LOG_LEVEL_FILE", "debug")
    copy.run("dbt", "seed", "--select", "rfm_segments", check=True)
    assert "[debug]" in (copy.root / "logs" / "dbt.log").read_text()


def test_dbt_build_demo_creates_schemas_without_prefix(demo_build: Workspace) -> None:
    tables = set(demo_build.query("select table_schema, table_name from information_schema.tables"))

    assert tables >= CONTRACT_TABLES
    assert not any(schema.startswith("main_") for schema, _ in tables)  # type: ignore[union-attr]


def test_dbt_build_demo_data_quality_accounts_for_every_row(demo_build: Workspace) -> None:
    raw_rows = demo_build.scalar("select count(*) from raw.transactions")
    rules = dict(demo_build.query("select rule_name, rows_affected from marts.data_quality"))

    assert sum(rules.values()) == raw_rows  # type: ignore[arg-type]
    assert rules["kept"] > 0 and rules["missing_customer_id"] > 0  # type: ignore[operator]
    assert rules["cancellation"] > 0 and rules["duplicate"] > 0  # type: ignore[operator]
    assert len(rules) == 9  # eight cleaning rules and kept


def test_dbt_build_demo_segment_names_are_unique_and_lapsed_customers_are_flagged(demo_build: Workspace) -> None:
    names = [row[0] for row in demo_build.query("select segment_name from reporting.segment_summary")]
    unflagged = demo_build.scalar(
        "select count(*) from reporting.customer_scores where recency_days > 180 and not is_lapsed"
    )
    segments = demo_build.query("select rfm_segment, count(*) from marts.customer_rfm group by 1")

    assert len(set(names)) == len(names) and not any(character.isdigit() for name in names for character in name)
    assert unflagged == 0
    assert len(segments) >= 8 and demo_build.scalar("select count(*) from marts.customer_rfm") == sum(
        count for _, count in segments
    )


def test_dbt_build_demo_next_order_dates_follow_the_purchase_forecast(demo_build: Workspace) -> None:
    rows = demo_build.query(
        "select scores.as_of_date, scores.next_order_expected_on, forecast.expected_days_to_next_order, "
        "scores.frequency, scores.probability_alive "
        "from reporting.customer_scores as scores inner join ml.purchase_forecast as forecast using (customer_id)"
    )

    assert len(rows) == demo_build.scalar("select count(*) from reporting.customer_scores")
    for as_of, next_order, days, frequency, alive in rows:
        if days is None:
            assert next_order is None
        else:
            assert (next_order - as_of).days == math.floor(days + 0.5)  # type: ignore[operator]  # SQL rounds half up
        assert alive == 1.0 if frequency == 1 else 0 <= alive <= 1  # type: ignore[operator]


def test_dbt_build_demo_features_cover_every_customer_once(demo_build: Workspace) -> None:
    customers, distinct, as_of, last_order = demo_build.query(
        "select count(*), count(distinct customer_id), max(as_of_date), "
        "(select max(cast(ordered_at as date)) from marts.fct_orders) from marts.customer_features"
    )[0]
    dimension = demo_build.scalar("select count(*) from marts.dim_customers")

    assert customers == distinct == dimension
    assert (as_of - last_order).days == 1  # type: ignore[operator]


def test_dbt_build_capped_training_snapshots_hold_the_md5_sample_with_unchanged_rows(
    demo_build: Workspace, tmp_path: Path
) -> None:
    """With training_customers_per_snapshot below the customer count, the model keeps at each cutoff the N
    customers with the smallest MD5 of their id among all who had ordered before it, and their rows equal
    those of a build without a cap (0: every customer, none of the model's customer filters), features and
    labels computed from their own rows only."""
    workspace = copy_workspace(demo_build, tmp_path / "workspace")

    def build(cap: int) -> pd.DataFrame:
        workspace.run(
            "dbt",
            "build",
            "--select",
            "customer_training_snapshots",
            "--full-refresh",
            "--vars",
            json.dumps({"training_customers_per_snapshot": cap}),
            check=True,
        )
        return workspace.frame("select * from marts.customer_training_snapshots")

    everyone = build(0)
    cap = int(everyone.groupby("as_of_date").size().min()) // 2
    sample = build(cap)

    everyone["md5"] = [hashlib.md5(customer.encode()).hexdigest() for customer in everyone["customer_id"]]
    expected = everyone.sort_values(["as_of_date", "md5", "customer_id"]).groupby("as_of_date").head(cap)
    key = ["as_of_date", "customer_id"]
    assert cap >= 10 and (sample.groupby("as_of_date").size() == cap).all()
    assert (expected["returned_amount"] > 0).any() and not expected["is_churned"].all()  # not vacuous
    pd.testing.assert_frame_equal(
        sample.sort_values(key).reset_index(drop=True),
        expected.drop(columns="md5")[list(sample.columns)].sort_values(key).reset_index(drop=True),
    )


def test_dbt_build_demo_training_sample_rank_orders_each_snapshot_by_the_md5_of_the_id(
    demo_build: Workspace,
) -> None:
    con = duckdb.connect(str(demo_build.warehouse), read_only=True)
    try:
        ranks = con.execute(
            "select customer_id, as_of_date, training_sample_rank from marts.customer_training_snapshots"
        ).df()
    finally:
        con.close()
    ranks["md5"] = [hashlib.md5(customer.encode()).hexdigest() for customer in ranks["customer_id"]]
    expected = ranks.sort_values(["as_of_date", "md5", "customer_id"]).groupby("as_of_date").cumcount() + 1

    assert ranks["as_of_date"].nunique() > 1
    assert (ranks["training_sample_rank"] == expected.reindex(ranks.index)).all()


# Every column except run ids and wall-clock times, which differ between any two builds.
LEAKAGE_TABLES = {
    "marts.customer_features": "customer_id",
    "marts.customer_training_snapshots": "as_of_date, customer_id",
    "ml.churn_scores": "customer_id",
    "ml.ltv_scores": "customer_id",
    "ml.customer_segments": "customer_id",
    "reporting.customer_scores": "customer_id",
}
RUN_METADATA = ("model_run_id", "scored_at", "segmentation_run_id", "churn_run_id", "ltv_run_id")


def built_tables(workspace: Workspace) -> dict[str, pd.DataFrame]:
    con = duckdb.connect(str(workspace.warehouse), read_only=True)
    try:
        tables = {}
        for table, order in LEAKAGE_TABLES.items():
            frame = con.execute(f"select * from {table} order by {order}").df()
            tables[table] = frame.drop(columns=[column for column in RUN_METADATA if column in frame])
        return tables
    finally:
        con.close()


def test_dbt_build_features_and_models_do_not_see_rows_at_or_after_as_of_date(tmp_path: Path) -> None:
    """Two shops with the same history before the cutoff and different futures, each built from scratch
    (its own registry: both train) at the cutoff: every feature, label, score and segment is the same."""
    demo = tmp_path / "demo.csv"
    make_workspace(tmp_path / "generate").run("demo-data", "--rows", "50000", "--out", demo, check=True)
    lines = demo.read_text().splitlines()
    header, rows = lines[0], lines[1:]
    cutoff = "2011-06-01"
    before = [row for row in rows if row.split(",")[4] < cutoff]
    # Same history before the cutoff, different (tripled quantities, extra lines) from the cutoff day on.
    after = [row.replace(",1,", ",3,") for row in rows if row.split(",")[4] >= cutoff]
    assert any(row.split(",")[4].startswith(cutoff) for row in after)
    shops = {"truncated": [header, *before], "altered": [header, *before, *after, *after[:50]]}
    built = {}
    for name, shop_lines in shops.items():
        workspace = make_workspace(tmp_path / name)
        data = tmp_path / f"{name}.csv"
        data.write_text("\n".join(shop_lines) + "\n")
        workspace.run("ingest", data, check=True)
        # The claim is on the tables; the dbt data tests run in the other builds of the suite.
        workspace.run("build", "--as-of-date", cutoff, *WITHOUT_DATA_TESTS, check=True)
        assert workspace.query("select bool_and(retrain) from ml.retraining_plan") == [(True,)]
        built[name] = built_tables(workspace)

    for table in LEAKAGE_TABLES:
        truncated, altered = built["truncated"][table], built["altered"][table]
        assert len(truncated) > 100, table
        # Deterministic training on the same history: equal up to float summation order in the solvers.
        pd.testing.assert_frame_equal(truncated, altered, check_exact=False, rtol=1e-9, atol=1e-12, obj=table)


def test_dbt_build_shop_exports_with_mappings_and_mixed_date_formats(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path)
    lines_file = tmp_path / "shop_lines.csv"
    lines_file.write_text(
        "TxnID,ClientNumber,SKU,Units,Price,PurchaseDate\n"
        "T1,C-001,SKU1,2,10.00,12/25/2023 14:05\n"
        "T1,C-001,SKU2,1,5.50,12/25/2023 14:05\n"
        "T2,C-001,SKU1,1,10.00,1/13/2024 9:15\n"
        "T3,C-002,SKU3,4,2.00,1/20/2024 16:00\n"
        "CT4,C-002,SKU3,-1,2.00,1/22/2024 10:00\n"
    )
    lines_mapping = tmp_path / "lines.json"
    lines_mapping.write_text(
        '{"customer_id": "ClientNumber", "order_id": "TxnID", "order_datetime": "PurchaseDate",'
        ' "product_id": "SKU", "quantity": "Units", "unit_price": "Price"}'
    )
    totals_file = tmp_path / "shop_totals.csv"
    totals_file.write_text(
        "TxnID,ClientNumber,SKU,OrderTotal,PurchaseDate\n"
        "T9,C-003,SKU9,99.90,2024-01-05 12:00:00\n"
        "T10,C-003,SKU9,0.00,2024-01-06 12:00:00\n"
    )
    totals_mapping = tmp_path / "totals.yml"
    totals_mapping.write_text(
        "customer_id: ClientNumber\norder_id: TxnID\norder_datetime: PurchaseDate\n"
        "product_id: SKU\norder_total: OrderTotal\n"
    )

    workspace.run("ingest", lines_file, "--mapping", lines_mapping, check=True)
    workspace.run("ingest", totals_file, "--mapping", totals_mapping, "--append", check=True)
    # Three customers are too few to train on: build the cleaning and features only.
    workspace.run(
        "build",
        "--as-of-date",
        "2024-02-01",
        "--select",
        "+customer_features",
        "+data_quality",
        "--indirect-selection",
        "cautious",
        check=True,
    )

    features = {
        row[0]: row[1:]
        for row in workspace.query(
            "select customer_id, frequency, cast(monetary as double), recency_days, cancelled_orders, "
            "return_rate "
            "from marts.customer_features"
        )
    }
    assert features["C-001"][:3] == (2, pytest.approx(35.5), 19)
    assert features["C-002"][:2] == (1, pytest.approx(8.0))
    assert features["C-002"][3:] == (1, pytest.approx(2.0 / 10.0))
    assert features["C-003"][:3] == (1, pytest.approx(99.9), 27)
    reasons = dict(workspace.query("select rule_name, rows_affected from marts.data_quality where rows_affected > 0"))
    assert reasons == {"kept": 5, "cancellation": 1, "non_positive_price": 1}


def test_dbt_build_rejects_malformed_as_of_date(demo_build: Workspace, tmp_path: Path) -> None:
    result = copy_workspace(demo_build, tmp_path / "copy").run(
        "build", "--as-of-date", "01/06/2011", "--select", "customer_features"
    )

    assert result.returncode != 0
    assert "as_of_date must be a date as YYYY-MM-DD" in result.stdout + result.stderr


def test_dbt_build_without_loaded_data_says_how_to_load(workspace: Workspace) -> None:
    result = workspace.run("dbt", "build")

    assert result.returncode != 0
    assert "raw.transactions does not exist" in result.stdout
    assert "retail ingest FILE" in result.stdout


def test_too_short_a_history_stops_with_what_to_do_and_its_suggestion_builds(tmp_path: Path) -> None:
    """70 days of orders cannot train models that look 2 x 90 days back: the build says so (no Python
    traceback), with the history it found, and the horizons it suggests then build."""
    workspace = make_workspace(tmp_path)
    demo, short = tmp_path / "demo.csv", tmp_path / "short.csv"
    workspace.run("demo-data", "--rows", "20000", "--out", demo, check=True)
    lines = pd.read_csv(demo, parse_dates=["InvoiceDate"], dtype={"InvoiceNo": str, "CustomerID": str})
    lines = lines[lines["InvoiceDate"] < lines["InvoiceDate"].min() + pd.Timedelta(days=70)]
    lines.to_csv(short, index=False, date_format="%Y-%m-%d %H:%M:%S")
    kept = lines[
        lines["CustomerID"].notna()
        & ~lines["InvoiceNo"].str.startswith("C")
        & (lines["Quantity"] > 0)
        & (lines["UnitPrice"] > 0)
    ]
    history = (
        lines["InvoiceDate"].max().normalize() + pd.Timedelta(days=1) - kept["InvoiceDate"].min().normalize()
    ).days
    workspace.run("ingest", short, check=True)

    failed = workspace.run("build")

    output = failed.stdout + failed.stderr
    assert failed.returncode == 1
    assert "Traceback" not in output
    assert "churn and LTV cannot be trained" in output and f"the orders loaded reach back {history} days" in output
    suggested = output.split("retail build --vars '")[1].split("'")[0]
    assert workspace.run("build", "--vars", suggested).returncode == 0


def test_staging_reads_excel_float_customer_ids_as_the_integer_ids(tmp_path: Path) -> None:
    """12346.0 and 12346.00 (a float cell saved by Excel) are customer 12346; ids whose point is not
    followed by zeros alone keep it."""
    expected = {
        "17850.0": "17850",
        "17850.00": "17850",
        "17850": "17850",
        "A.10": "A.10",
        "10.500": "10.500",
        "12.0.0": "12.0",
        "C.1.0": "C.1",
    }
    workspace = make_workspace(tmp_path)
    export = tmp_path / "ids.csv"
    export.write_text(
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
        + "".join(
            f"5363{index:02d},85123A,HEART,6,2010-12-01 08:26:00,2.55,{raw},United Kingdom\n"
            for index, raw in enumerate(expected)
        )
    )
    workspace.run("ingest", export, check=True)
    workspace.run("build", "--select", "+stg_retail__transactions", "--indirect-selection", "cautious", check=True)

    staged = workspace.query(
        "select raw.customer_id, staged.customer_id from raw.transactions as raw "
        "join staging.stg_retail__transactions as staged on raw._source_row_number = staged.source_row_number"
    )
    assert dict(staged) == expected
