"""Warehouses loaded before the reading choices moved from raw.transactions to raw.loads (2026-12).

Each row then carried its load's date format, decimal separator, cancellation
prefix and file name. The next build (dbt's on-run-start hook) or the next
load (ingest) moves them to raw.loads; either way the rows read as before.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from tests.python.conftest import Workspace, make_workspace

pytestmark = pytest.mark.integration

HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"
PLAIN_ROWS = [
    "536365,85123A,WHITE HANGING HEART,6,2010-12-01 08:26:00,2.55,17850,United Kingdom",
    "C536379,22633,HAND WARMER,-1,2010-12-13 09:41:00,1.85,17850,United Kingdom",
]
# Decimal commas, day-first dates, and no cancellation prefix (C536380 is an order like any other).
EUROPEAN_ROWS = [
    "536370;22728;ALARM CLOCK;24;13.12.2010 08:45;1.234,50;12583;France",
    "C536380;22727;ALARM CLOCK RED;2;14.12.2010 10:00;3,75;12583;France",
]
# The columns rows had, by the raw.loads column that holds them now.
MOVED = {
    "_datetime_format": "datetime_format",
    "_decimal_separator": "decimal_separator",
    "_cancellation_prefix": "cancellation_prefix",
    "_source_file": "file_name",
}
LOADS = "select load_id, file_name, datetime_format, decimal_separator, cancellation_prefix from raw.loads"
ROWS = "select * exclude (_loaded_at) from raw.transactions"
STAGED_BY_HAND = (
    "select order_id, load_id, source_file, cast(ordered_at as varchar), cast(line_amount as double), is_cancellation "
    "from staging.stg_retail__transactions"
)
STAGING = ("run", "--select", "stg_retail__order_fills", "stg_retail__transactions")


def write(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def rows_of(workspace: Workspace, sql: str) -> list[tuple[object, ...]]:
    return sorted(workspace.query(sql), key=repr)


def as_loaded_before_the_move(warehouse: Path) -> None:
    """Rewrite the raw tables in the layout of before: the moved columns on every row, not on raw.loads.

    Loads 1 (replaced, no rows) and 2 also get the empty date format replays used to record on raw.loads
    (the rows held the real one).
    """
    con = duckdb.connect(str(warehouse))
    try:
        for old, new in MOVED.items():
            con.execute(f"alter table raw.transactions add column {old} varchar")
            con.execute(
                f"update raw.transactions set {old} = loads.{new} from raw.loads as loads where _load_id = load_id"
            )
        con.execute("update raw.loads set datetime_format = '' where load_id <= 2")
        for new in ("file_name", "decimal_separator", "cancellation_prefix"):
            con.execute(f"alter table raw.loads drop column {new}")
    finally:
        con.close()


def copy_of(workspace: Workspace, root: Path) -> Workspace:
    copy = make_workspace(root)
    copy.warehouse.parent.mkdir(parents=True)
    shutil.copy(workspace.warehouse, copy.warehouse)
    return copy


def test_a_warehouse_loaded_before_the_move_is_moved_by_its_next_build_or_load(tmp_path: Path) -> None:
    current = make_workspace(tmp_path / "current")
    replaced = write(tmp_path / "first.csv", HEADER, PLAIN_ROWS[:1])
    plain = write(tmp_path / "plain.csv", HEADER, PLAIN_ROWS)
    european = write(tmp_path / "export_fr.csv", HEADER.replace(",", ";"), EUROPEAN_ROWS)
    options = tmp_path / "no_prefix.json"
    options.write_text(json.dumps({"cancellation_prefix": ""}))
    current.run("ingest", replaced, check=True)
    current.run("ingest", plain, check=True)  # replaces load 1: raw.loads keeps it, without rows
    current.run("ingest", european, "--append", "--mapping", options, check=True)
    expected_loads, expected_rows = rows_of(current, LOADS), rows_of(current, ROWS)

    assert expected_loads == [
        (1, "first.csv", "%Y-%m-%d %H:%M:%S", ".", "C"),
        (2, "plain.csv", "%Y-%m-%d %H:%M:%S", ".", "C"),
        (3, "export_fr.csv", "%d.%m.%Y %H:%M", ",", ""),
    ]
    # A replaced load has no rows left to take its reading choices from (nor needs them); its file
    # name comes from its path.
    moved_loads = [(1, "first.csv", "", None, None), *expected_loads[1:]]

    built = copy_of(current, tmp_path / "built")
    as_loaded_before_the_move(built.warehouse)
    result = built.dbt(*STAGING)
    assert result.returncode == 0, result.stdout[-3000:]
    assert (rows_of(built, LOADS), rows_of(built, ROWS)) == (moved_loads, expected_rows)
    # Staging reads each row the way its load was read: by hand from the rows above.
    assert rows_of(built, STAGED_BY_HAND) == [
        ("536365", 2, "plain.csv", "2010-12-01 08:26:00", 15.3, False),
        ("536370", 3, "export_fr.csv", "2010-12-13 08:45:00", 29628.0, False),
        ("C536379", 2, "plain.csv", "2010-12-13 09:41:00", -1.85, True),
        ("C536380", 3, "export_fr.csv", "2010-12-14 10:00:00", 7.5, False),
    ]

    loaded = copy_of(current, tmp_path / "loaded")
    as_loaded_before_the_move(loaded.warehouse)
    loaded.run("ingest", write(tmp_path / "next.csv", HEADER, PLAIN_ROWS[1:]), "--append", check=True)
    assert rows_of(loaded, LOADS) == [*moved_loads, (4, "next.csv", "%Y-%m-%d %H:%M:%S", ".", "C")]
    assert rows_of(loaded, f"{ROWS} where _load_id < 4") == expected_rows
