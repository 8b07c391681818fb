"""Replay batches: chronological, every row in exactly one batch, history before the start first."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from models_py.errors import RetailError
from models_py.ingest.loading import ingest_file
from models_py.replay import ReplayOptions, plan_batches
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
