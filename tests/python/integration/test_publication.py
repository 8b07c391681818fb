"""The published warehouse: readers query it while dbt builds, and see one whole publication at a time."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tests.python.conftest import Workspace, copy_workspace

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("demo_build")]

READER = Path(__file__).with_name("published_reader.py")


def _publication_id(path: Path) -> str:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return str(con.execute("select any_value(publication_id) from reporting.publication").fetchall()[0][0])
    finally:
        con.close()


def _late_orders(path: Path) -> None:
    """Twenty new customers ordering after the demo data ends: a new as_of_date and new customers."""
    lines = ["InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"]
    lines += [
        f"59{index:04d},22423,REGENCY CAKESTAND,2,2011-12-{12 + index % 4:02d} 10:00:00,12.75,990{index:02d},France"
        for index in range(20)
    ]
    path.write_text("\n".join(lines) + "\n")


def _wait_for_lines(path: Path, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and len(path.read_text().splitlines()) >= count:
            return
        time.sleep(0.1)
    raise AssertionError(f"the reader wrote fewer than {count} observations in {timeout}s")


@pytest.mark.parametrize("runner", ["retail build", "dbt build"])
def test_readers_query_the_publication_while_dbt_builds_and_see_old_or_new_never_a_mix(
    demo_build: Workspace, tmp_path: Path, runner: str
) -> None:
    workspace = copy_workspace(demo_build, tmp_path / "workspace")
    published = workspace.settings.published_path
    before = _publication_id(published)
    late = tmp_path / "late.csv"
    _late_orders(late)
    workspace.run("ingest", late, "--append", check=True)
    stop, observations = tmp_path / "stop", tmp_path / "observations.jsonl"

    reader = subprocess.Popen([sys.executable, str(READER), str(published), str(stop), str(observations)])
    try:
        _wait_for_lines(observations, 3)
        build = workspace.run("build") if runner == "retail build" else workspace.dbt("build")
        during = len(observations.read_text().splitlines())
        _wait_for_lines(observations, during + 3)
    finally:
        stop.touch()
        reader.wait(timeout=60)

    records = [json.loads(line) for line in observations.read_text().splitlines()]
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    assert "lock" not in (build.stdout + build.stderr).lower()
    assert [record for record in records if "error" in record] == []
    assert all(record["consistent"] for record in records)
    ids = [record["publication_id"] for record in records]
    after = ids[-1]
    assert ids[0] == before and after != before and after == _publication_id(published)
    # Old until the swap, new from then on: never back, never a third.
    switch = ids.index(after)
    assert set(ids[:switch]) == {before} and set(ids[switch:]) == {after}
    customers = {record["publication_id"]: record["customers"] for record in records}
    assert customers[after] == customers[before] + 20
    assert during > 10  # the reader kept reading while dbt built


def test_failed_build_keeps_the_last_publication(demo_build: Workspace, tmp_path: Path) -> None:
    workspace = copy_workspace(demo_build, tmp_path / "workspace")
    published = workspace.settings.published_path
    before = _publication_id(published)

    result = workspace.run("build", "--as-of-date", "2011-13-45")

    assert result.returncode == 1
    assert f"the publication at {published} was left as it was" in result.stderr
    assert _publication_id(published) == before


def test_publication_copies_reader_schemas_in_a_storage_version_old_readers_open(demo_build: Workspace) -> None:
    settings = demo_build.settings
    con = duckdb.connect(str(settings.published_path), read_only=True)
    try:
        tables = set(con.execute("select table_schema, table_name from information_schema.tables").fetchall())
        manifest = dict(
            con.execute("select table_schema || '.' || table_name, row_count from reporting.publication").fetchall()
        )
        views = con.execute("select count(*) from information_schema.tables where table_type = 'VIEW'").fetchall()
    finally:
        con.close()
    header = settings.published_path.read_bytes()[:20]

    schemas = {schema for schema, _ in tables}
    assert schemas == {"marts", "ml", "reporting", "raw"}
    assert ("raw", "transactions") not in tables and ("raw", "retention_playbook") in tables
    assert ("reporting", "segment_transition_matrix") in tables  # a view in the warehouse, a table here
    assert views == [(0,)]
    assert set(manifest) == {f"{schema}.{table}" for schema, table in tables} - {"reporting.publication"}
    assert manifest["reporting.customer_scores"] == demo_build.scalar("select count(*) from reporting.customer_scores")
    # Storage format 64 (DuckDB v1.0.0): what Evidence's DuckDB 1.x reader accepts ("can only read 64..67");
    # the warehouse dbt writes uses DuckDB 2's newer format.
    assert header[8:12] == b"DUCK" and struct.unpack("<Q", header[12:20])[0] == 64


def _published_state(path: Path) -> dict[str, object]:
    """Publication id plus row count and an order-free checksum of the tables readers use most."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        state: dict[str, object] = {
            "publication_id": con.execute("select any_value(publication_id) from reporting.publication").fetchall()
        }
        for table in ("reporting.customer_scores", "reporting.segment_summary", "marts.customer_features"):
            state[table] = con.execute(f"select count(*), sum(hash(columns(*))) from {table}").fetchall()
        return state
    finally:
        con.close()


def test_plain_dbt_build_publishes_unless_a_late_test_fails_or_the_build_is_partial(
    demo_build: Workspace, tmp_path: Path
) -> None:
    workspace = copy_workspace(demo_build, tmp_path / "workspace")
    published = workspace.settings.published_path
    before = _published_state(published)
    late = tmp_path / "late.csv"
    _late_orders(late)
    workspace.run("ingest", late, "--append", check=True)

    # Every prediction-drift test fails (PSI >= 0), after the models were rebuilt on the new orders.
    failed = workspace.dbt("build", "--vars", "{psi_warn_threshold: 0, psi_error_threshold: 0}")
    after_failure = _published_state(published)
    rebuilt = workspace.scalar("select count(*) from reporting.customer_scores")
    partial = workspace.dbt("build", "--exclude", "churn_scores")
    after_partial = _published_state(published)
    complete = workspace.dbt("build")
    after_complete = _published_state(published)

    assert failed.returncode == 1 and "psi_within_threshold_churn_scores" in failed.stdout
    assert "SKIP relation reporting.publication" in failed.stdout
    assert after_failure == before
    assert rebuilt == before["reporting.customer_scores"][0][0] + 20  # type: ignore[index]
    assert partial.returncode == 0 and "not published (partial build" in partial.stdout
    assert after_partial == before
    assert complete.returncode == 0, complete.stdout[-3000:]
    assert after_complete["publication_id"] != before["publication_id"]
    assert after_complete["reporting.customer_scores"][0][0] == rebuilt  # type: ignore[index]
    # The warehouse records the manifest of the publication readers see.
    assert set(
        workspace.query("select publication_id, table_schema, table_name, row_count from reporting.publication")
    ) == set(
        workspace.query(
            "select publication_id, table_schema, table_name, row_count from reporting.publication", published=True
        )
    )
