"""Replay batches: chronological, every row in exactly one batch, history before the start first."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from models_py.errors import RetailError
from models_py.ingest.loading import ingest_file
from models_py.replay import ReplayOptions, append_batch, plan_batches
from tests.python.unit.test_ingest import HEADER_I, write_csv

ROWS = [
    "1,A,d,1,2011-01-03 10:00,1.0,5,UK",
    "2,A,d,1,2011-01-04 10:00,1.0,5,UK",
    "3,A,d,1,2011-01-10 10:00,1.0,5,UK",
    "4,A,d,1,2011-01-12 10:00,1.0,5,UK",
    "5,A,d,1,2011-01-18 10:00,1.0,5,UK",
    "6,A,d,1,not a date,1.0,5,UK",
]


@pytest.fixture
def source(tmp_path: Path) -> Path:
    warehouse = tmp_path / "source.duckdb"
    ingest_file(write_csv(tmp_path / "rows.csv", HEADER_I, ROWS), warehouse, max_bad_share=0.5)
    return warehouse


def batch_orders(scratch: Path) -> dict[int, list[str]]:
    con = duckdb.connect(str(scratch), read_only=True)
    rows = con.execute("select batch, order_id from replay_rows order by batch, order_id").fetchall()
    con.close()
    batches: dict[int, list[str]] = {}
    for batch, order in rows:
        batches.setdefault(int(batch), []).append(str(order))
    return batches


def test_plan_batches_by_week_puts_history_and_undated_rows_first(source: Path, tmp_path: Path) -> None:
    scratch = tmp_path / "scratch.duckdb"
    batches = plan_batches(source, scratch, ReplayOptions(by="week", start=date(2011, 1, 10)), 0)

    assert [batch.rows for batch in batches] == [3, 2, 1]
    assert batch_orders(scratch) == {1: ["1", "2", "6"], 2: ["3", "4"], 3: ["5"]}
    assert batches[1].label == "2011-01-12"


def test_plan_batches_by_rows_and_end(source: Path, tmp_path: Path) -> None:
    scratch = tmp_path / "scratch.duckdb"
    options = ReplayOptions(by="rows", rows=2, start=date(2011, 1, 4), end=date(2011, 1, 12))
    plan_batches(source, scratch, options, 0)

    # Row 5 (2011-01-18) is after the end: not replayed.
    assert batch_orders(scratch) == {1: ["1", "6"], 2: ["2", "3"], 3: ["4"]}


def test_plan_batches_rejects_start_after_end(source: Path, tmp_path: Path) -> None:
    options = ReplayOptions(start=date(2011, 3, 1), end=date(2011, 2, 1))
    with pytest.raises(RetailError, match="start 2011-03-01 is after its end"):
        plan_batches(source, tmp_path / "scratch.duckdb", options, 0)


def test_a_batch_mixing_loads_read_two_ways_becomes_one_load_per_way(source: Path, tmp_path: Path) -> None:
    # A second source load with day-first dates and decimal commas, in the same weeks as the first.
    european = tmp_path / "export_fr.csv"
    european.write_text(
        HEADER_I.replace(",", ";") + "\n7;A;d;1;11.01.2011 10:00;1,5;5;FR\n8;A;d;1;19.01.2011 10:00;2,5;5;FR\n",
        encoding="utf-8",
    )
    ingest_file(european, source, append=True)
    scratch, replayed = tmp_path / "scratch.duckdb", tmp_path / "replayed.duckdb"

    batches = plan_batches(source, scratch, ReplayOptions(by="week", start=date(2011, 1, 10)), 0)
    for batch in batches:
        append_batch(replayed, scratch, batch, "1GB")

    reading = "order_id, order_datetime, unit_price, file_name, datetime_format, decimal_separator"
    of_rows = f"select {reading} from raw.transactions join raw.loads on _load_id = load_id order by order_id"
    with duckdb.connect(str(source), read_only=True) as con:
        expected = con.execute(of_rows).fetchall()
    with duckdb.connect(str(replayed), read_only=True) as con:
        assert con.execute(of_rows).fetchall() == expected
        loads = con.execute("select load_id, mode, row_count, file_name from raw.loads order by load_id").fetchall()
    # Weeks: history (1, 2, 6), 10-16 Jan (3, 4 and 7), 17-23 Jan (5 and 8); in a week, one load per way
    # of reading, in the order of the source's loads.
    assert loads == [
        (1, "replace", 3, "rows.csv"),
        (2, "append", 2, "rows.csv"),
        (3, "append", 1, "export_fr.csv"),
        (4, "append", 1, "rows.csv"),
        (5, "append", 1, "export_fr.csv"),
    ]
