"""Incremental builds over appended batches equal a full refresh on the same data."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from tests.python.conftest import WITHOUT_DATA_TESTS, Workspace, copy_workspace, make_workspace

pytestmark = pytest.mark.integration

MARTS = ("marts.data_quality", "marts.fct_orders", "marts.dim_customers", "marts.customer_features")
CLASSIFIED = "intermediate.int_transaction_lines_classified"
ORDER_FILLS = "staging.stg_retail__order_fills"
INCREMENTAL = (ORDER_FILLS, CLASSIFIED, "intermediate.int_order_parts", "intermediate.int_customer_first_purchases")
# The marts only (cautious: tests that also read unselected models, such as drift, are left out).
BUILD_MARTS = ("build", "--select", "+marts", "--indirect-selection", "cautious")


# Batch 2 writes an invoice's customer, date and country on its first line only, as Shopify
# exports do: staging fills them in from that line (stg_retail__order_fills).
FIRST_LINE = "row_number() over (partition by InvoiceNo order by n) = 1"
COLUMNS = "InvoiceNo, StockCode, Description, Quantity, InvoiceDate, UnitPrice, CustomerID, Country"
ORDER_FIELDS = ("InvoiceDate", "CustomerID", "Country")
FIRST_LINE_ONLY = ", ".join(
    f"case when {FIRST_LINE} then {column} end as {column}" if column in ORDER_FIELDS else column
    for column in COLUMNS.split(", ")
)


def write_batches(source: Path, folder: Path) -> list[Path]:
    """Three batches in date order; the second gives order-level fields on an invoice's
    first line only; the third brings late rows (a sample held back from the first, dated
    months before the second) and copies of first-batch lines."""
    con = duckdb.connect()
    con.execute(f"create table demo as select *, row_number() over () as n from read_csv('{source}', all_varchar=true)")
    con.execute("create table stamped as select *, cast(InvoiceDate as timestamp) as stamped_at from demo")
    parts = {
        "batch_1.csv": (COLUMNS, "stamped_at < '2011-05-01' and n % 10 <> 3"),
        "batch_2.csv": (FIRST_LINE_ONLY, "stamped_at >= '2011-05-01' and stamped_at < '2011-09-01'"),
        "batch_3.csv": (
            COLUMNS,
            "stamped_at >= '2011-09-01' or (stamped_at < '2011-05-01' and n % 10 = 3) or n % 97 = 5",
        ),
    }
    paths = []
    for name, (columns, condition) in parts.items():
        path = folder / name
        con.execute(f"copy (select {columns} from stamped where {condition} order by n) to '{path}' (header)")
        paths.append(path)
    con.close()
    return paths


def table_state(workspace: Workspace, tables: tuple[str, ...]) -> dict[str, list[tuple[object, ...]]]:
    return {table: workspace.query(f"select * from {table} order by all") for table in tables}


def test_incremental_builds_over_batches_equal_a_full_refresh(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path)
    demo = tmp_path / "demo.csv"
    workspace.run("demo-data", "--rows", "30000", "--out", demo, check=True)
    batches = write_batches(demo, tmp_path)

    workspace.run("ingest", batches[0], check=True)
    workspace.run(*BUILD_MARTS, *WITHOUT_DATA_TESTS, check=True)
    for batch in batches[1:]:
        workspace.run("ingest", "--append", batch, check=True)
        workspace.run(*BUILD_MARTS, *WITHOUT_DATA_TESTS, check=True)
    incremental = table_state(workspace, (*MARTS, *INCREMENTAL))
    workspace.run(*BUILD_MARTS, *WITHOUT_DATA_TESTS, check=True)
    rerun = table_state(workspace, (*MARTS, *INCREMENTAL))
    workspace.run(*BUILD_MARTS, "--full-refresh", check=True)
    full = table_state(workspace, (*MARTS, *INCREMENTAL))

    assert rerun == incremental, "a second build without new data changed the marts"
    for table in (*MARTS, *INCREMENTAL):
        assert incremental[table] == full[table], f"{table}: incremental differs from --full-refresh"
    # The late rows were processed, not skipped: every source row is in the marts' accounting.
    raw_rows = workspace.scalar("select count(*) from raw.transactions")
    assert workspace.scalar("select sum(rows_affected) from marts.data_quality") == raw_rows
    late_orders = workspace.scalar(
        "select count(distinct orders.order_id) from marts.fct_orders as orders "
        "inner join intermediate.int_transaction_lines_classified as lines using (order_id) "
        "where lines.load_id = 3 and orders.ordered_at < '2011-05-01'"
    )
    assert late_orders > 0
    copies = workspace.scalar("select rows_affected from marts.data_quality where rule_name = 'duplicate'")
    assert copies > 0, "copies of first-batch lines in the third batch are duplicates"
    # Batch 2's lines took their invoice's customer, date and country from its first line:
    # they lack them exactly where the demo file's own lines do (counted in the file).
    in_file = duckdb.execute(
        "select count(*) filter (where CustomerID is null), count(*) filter (where Country is null), 0 "
        f"from read_csv('{demo}', all_varchar=true) "
        "where cast(InvoiceDate as timestamp) >= '2011-05-01' and cast(InvoiceDate as timestamp) < '2011-09-01'"
    ).fetchall()
    assert in_file[0][0] > 0 and workspace.scalar(f"select count(*) from {ORDER_FILLS} where order_key is not null") > 0
    # Every load is marked checked, also those with nothing to fill: the next build starts after them.
    assert workspace.query(f"select load_id from {ORDER_FILLS} where order_key is null order by 1") == [
        (1,),
        (2,),
        (3,),
    ]
    assert in_file == workspace.query(
        "select count(*) filter (where customer_id is null), count(*) filter (where country is null), "
        f"count(*) filter (where ordered_at is null) from {CLASSIFIED} where load_id = 2"
    )


def test_incremental_build_after_a_replacing_load_starts_over(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path)
    demo = tmp_path / "demo.csv"
    workspace.run("demo-data", "--rows", "12000", "--out", demo, check=True)
    batches = write_batches(demo, tmp_path)
    workspace.run("ingest", batches[0], check=True)
    workspace.run("ingest", "--append", batches[1], check=True)
    workspace.run(*BUILD_MARTS, *WITHOUT_DATA_TESTS, check=True)

    workspace.run("ingest", batches[2], check=True)  # replaces both loads
    workspace.run(*BUILD_MARTS, check=True)
    incremental = table_state(workspace, (*MARTS, *INCREMENTAL))
    workspace.run(*BUILD_MARTS, "--full-refresh", check=True)

    assert workspace.scalar(f"select count(distinct load_id) from {CLASSIFIED}") == 1
    assert incremental == table_state(workspace, (*MARTS, *INCREMENTAL))


def test_late_rows_on_the_same_as_of_date_make_later_segment_versions(demo_build: Workspace, tmp_path: Path) -> None:
    # The demo build (default date, the day after its last order) is the first build of that date.
    workspace = copy_workspace(demo_build, tmp_path / "workspace")
    as_of = str(workspace.scalar("select cast(max(as_of_date) as date) from reporting.publication"))
    late = tmp_path / "late.csv"
    # Another seed, same calendar: the batch changes customers without moving as_of_date.
    workspace.run("demo-data", "--rows", "3000", "--seed", "7", "--out", late, check=True)

    workspace.run("ingest", "--append", late, check=True)
    workspace.run("build", "--as-of-date", as_of, check=True)

    moves = workspace.scalar("select count(*) from reporting.segment_transitions where moved_on = ?", [as_of])
    assert moves > 0, "the late rows moved some customers, recorded as later versions of the same date"


def compiled_test(workspace: Workspace, name_start: str) -> str:
    """The SQL the last dbt invocation ran for the data test whose name starts with ``name_start``."""
    results = json.loads((workspace.root / "target" / "run_results.json").read_text())["results"]
    prefix = f"test.retail_retention.{name_start}"
    return next(result["compiled_code"] for result in results if result["unique_id"].startswith(prefix))


def test_a_scheduled_build_tests_only_the_new_loads_lines_and_still_fails_on_them(
    demo_build: Workspace, tmp_path: Path
) -> None:
    """The line-level tests of a build after a published one read only the loads after the published
    build's (load 1 here): a duplicated source row in the new load fails the build; once it is gone the
    build passes and publishes, and the next build would start after load 2."""
    workspace = copy_workspace(demo_build, tmp_path / "workspace")
    assert workspace.scalar("select tested_through_load_id from main.tested_loads") == 1
    batch = tmp_path / "batch.csv"
    workspace.run("demo-data", "--rows", "2000", "--seed", "11", "--out", batch, check=True)
    workspace.run("ingest", "--append", batch, check=True)
    con = duckdb.connect(str(workspace.warehouse))
    duplicate = "from raw.transactions where _load_id = 2 and _source_row_number = 1"
    con.execute(f"insert into raw.transactions select * {duplicate}")
    con.close()

    failed = workspace.run("build")

    assert failed.returncode != 0
    assert "Failure in test source_unique_numbered_rows_retail_transactions__load_id___source_row_number" in (
        failed.stdout
    )
    assert "where _load_id > 1" in compiled_test(workspace, "source_unique_numbered_rows_retail_transactions")

    con = duckdb.connect(str(workspace.warehouse))
    con.execute(f"create temp table kept as select distinct * {duplicate}")
    con.execute(f"delete {duplicate}")
    con.execute("insert into raw.transactions select * from kept")
    con.close()
    workspace.run("build", check=True)

    assert "where load_id > 1" in compiled_test(workspace, "unique_numbered_rows_stg_retail__transactions_load_id")
    assert "where load_id > 1" in compiled_test(workspace, "unique_numbered_rows_int_return_lines_attributed_load_id")
    assert workspace.scalar("select tested_through_load_id from main.tested_loads") == 2
