"""Incremental builds over appended batches equal a full refresh on the same data."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.python.conftest import WITHOUT_DATA_TESTS, Workspace, copy_workspace, make_workspace

pytestmark = pytest.mark.integration

MARTS = ("marts.data_quality", "marts.fct_orders", "marts.dim_customers", "marts.customer_features")
CLASSIFIED = "intermediate.int_transaction_lines_classified"
# The marts only (cautious: tests that also read unselected models, such as drift, are left out).
BUILD_MARTS = ("build", "--select", "+marts", "--indirect-selection", "cautious")


def write_batches(source: Path, folder: Path) -> list[Path]:
    """Three batches in date order; the third brings late rows (a sample held back
    from the first, dated months before the second) and copies of first-batch lines."""
    con = duckdb.connect()
    con.execute(f"create table demo as select *, row_number() over () as n from read_csv('{source}', all_varchar=true)")
    con.execute("create table stamped as select *, cast(InvoiceDate as timestamp) as stamped_at from demo")
    parts = {
        "batch_1.csv": "stamped_at < '2011-05-01' and n % 10 <> 3",
        "batch_2.csv": "stamped_at >= '2011-05-01' and stamped_at < '2011-09-01'",
        "batch_3.csv": "stamped_at >= '2011-09-01' or (stamped_at < '2011-05-01' and n % 10 = 3) or n % 97 = 5",
    }
    paths = []
    for name, condition in parts.items():
        path = folder / name
        columns = "InvoiceNo, StockCode, Description, Quantity, InvoiceDate, UnitPrice, CustomerID, Country"
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
    incremental = table_state(workspace, (*MARTS, CLASSIFIED))
    workspace.run(*BUILD_MARTS, *WITHOUT_DATA_TESTS, check=True)
    rerun = table_state(workspace, (*MARTS, CLASSIFIED))
    workspace.run(*BUILD_MARTS, "--full-refresh", check=True)
    full = table_state(workspace, (*MARTS, CLASSIFIED))

    assert rerun == incremental, "a second build without new data changed the marts"
    for table in (*MARTS, CLASSIFIED):
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
    incremental = table_state(workspace, (*MARTS, CLASSIFIED))
    workspace.run(*BUILD_MARTS, "--full-refresh", check=True)

    assert workspace.scalar(f"select count(distinct load_id) from {CLASSIFIED}") == 1
    assert incremental == table_state(workspace, (*MARTS, CLASSIFIED))


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
