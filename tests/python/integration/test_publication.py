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


def _with_late_orders(demo_build: Workspace, root: Path) -> Workspace:
    """A copy of the demo build plus a load of twenty new customers ordering after the demo data ends."""
    workspace = copy_workspace(demo_build, root / "workspace")
    lines = ["InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"]
    lines += [
        f"59{index:04d},22423,REGENCY CAKESTAND,2,2011-12-{12 + index % 4:02d} 10:00:00,12.75,990{index:02d},France"
        for index in range(20)
    ]
    late = root / "late.csv"
    late.write_text("\n".join(lines) + "\n")
    workspace.run("ingest", late, "--append", check=True)
    return workspace


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
    published = demo_build.settings.published_path
    before = _publication_id(published)
    workspace = _with_late_orders(demo_build, tmp_path)
    published = workspace.settings.published_path
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
    # The warehouse records the manifest of the publication readers see.
    manifest = "select publication_id, table_schema, table_name, row_count from reporting.publication"
    assert set(workspace.query(manifest)) == set(workspace.query(manifest, published=True))


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


def test_plain_dbt_build_keeps_the_publication_when_a_late_test_fails_or_the_build_is_partial(
    demo_build: Workspace, tmp_path: Path
) -> None:
    before = _published_state(demo_build.settings.published_path)
    workspace = _with_late_orders(demo_build, tmp_path)
    published = workspace.settings.published_path

    # Every prediction-drift test fails (PSI >= 0), after the models were rebuilt on the new orders.
    failed = workspace.dbt("build", "--vars", "{psi_warn_threshold: 0, psi_error_threshold: 0}")
    after_failure = _published_state(published)
    rebuilt = workspace.scalar("select count(*) from reporting.customer_scores")
    # The publication node alone: it runs, sees a partial build and publishes nothing.
    partial = workspace.dbt("build", "--select", "publication")
    after_partial = _published_state(published)

    assert failed.returncode == 1 and "psi_within_threshold_churn_scores" in failed.stdout
    assert "SKIP relation reporting.publication" in failed.stdout
    assert after_failure == before
    assert rebuilt == before["reporting.customer_scores"][0][0] + 20  # type: ignore[index]
    assert partial.returncode == 0 and "not published (partial build: 1 of" in partial.stdout
    assert after_partial == before
