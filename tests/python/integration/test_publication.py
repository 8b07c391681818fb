"""The published warehouse: readers query it while dbt builds, and see one whole publication at a time."""

from __future__ import annotations

import json
import os
import signal
import struct
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from tests.python.conftest import PROJECT_DIR, Workspace, copy_workspace
from tests.python.integration.published_reader import CHECKED_TABLES, table_state

pytestmark = [pytest.mark.integration]

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


def _tables(path: Path) -> dict[str, list[object]]:
    """Row count and checksum of the reader's tables in one database file."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {table: table_state(con, table) for table in CHECKED_TABLES}
    finally:
        con.close()


def _wait_for_lines(path: Path, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and len(path.read_text().splitlines()) >= count:
            return
        time.sleep(0.1)
    raise AssertionError(f"the reader wrote fewer than {count} observations in {timeout}s")


def test_readers_query_the_publication_while_dbt_builds_and_see_old_or_new_never_a_mix(
    demo_build: Workspace, tmp_path: Path
) -> None:
    # Plain dbt build, as a scheduler runs it; `retail build` publishes through the same last node.
    published = demo_build.settings.published_path
    before = _publication_id(published)
    workspace = _with_late_orders(demo_build, tmp_path)
    published = workspace.settings.published_path
    before_tables = _tables(published)
    stop, observations = tmp_path / "stop", tmp_path / "observations.jsonl"

    reader = subprocess.Popen([sys.executable, str(READER), str(published), str(stop), str(observations)])
    try:
        _wait_for_lines(observations, 3)
        build = workspace.dbt("build")
        during = len(observations.read_text().splitlines())
        _wait_for_lines(observations, during + 3)
    finally:
        stop.touch()
        reader.wait(timeout=60)

    records = [json.loads(line) for line in observations.read_text().splitlines()]
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    assert "lock" not in (build.stdout + build.stderr).lower()
    assert [record for record in records if "error" in record] == []
    ids = [record["publication_id"] for record in records]
    after = ids[-1]
    assert ids[0] == before and after != before and after == _publication_id(published)
    # Old until the swap, new from then on: never back, never a third.
    switch = ids.index(after)
    assert set(ids[:switch]) == {before} and set(ids[switch:]) == {after}
    # Every read saw, table by table, exactly the previous publication or exactly what this build wrote
    # to the warehouse (recorded here, not by the reader): never a mix, never a half-copied table.
    after_tables = _tables(workspace.warehouse)
    assert after_tables != before_tables
    expected = {before: before_tables, after: after_tables}
    assert [record["tables"] for record in records] == [expected[id_] for id_ in ids]
    customers = after_tables["reporting.customer_scores"][0]
    assert customers == before_tables["reporting.customer_scores"][0] + 20  # type: ignore[operator]
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


def test_a_build_killed_while_copying_the_publication_leaves_the_previous_one(
    demo_build: Workspace, tmp_path: Path
) -> None:
    workspace = _with_late_orders(demo_build, tmp_path)
    published = workspace.settings.published_path
    before, inode = _published_state(published), published.stat().st_ino
    command, env = workspace.dbt_invocation("build")
    build = subprocess.Popen(
        command, env=env, cwd=PROJECT_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    copying: list[Path] = []
    try:
        # Kill the moment a new copy appears, or the published file is touched at all.
        while build.poll() is None:
            copying = list(published.parent.glob(f".{published.name}.*.tmp"))
            if copying or not published.exists() or published.stat().st_ino != inode:
                os.killpg(build.pid, signal.SIGKILL)
                break
            time.sleep(0.001)
    finally:
        if build.poll() is None:
            os.killpg(build.pid, signal.SIGKILL)
        build.wait()

    assert build.returncode == -signal.SIGKILL, "the build finished before the test could kill it mid-copy"
    assert published.exists() and _published_state(published) == before
    assert copying, "the build wrote into the published file instead of a copy beside it"
    # The next publication removes the dead build's half copy.
    workspace.run("publish", check=True)
    assert not any(published.parent.glob(f".{published.name}.*.tmp"))
    assert _published_state(published) != before


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


def _drift_results(workspace: Workspace) -> dict[str, dict[str, str]]:
    """Status of every drift test of the workspace's last dbt invocation, by kind (feature, prediction)."""
    results = json.loads((workspace.root / "target" / "run_results.json").read_text())["results"]
    kinds: dict[str, dict[str, str]] = {"feature": {}, "prediction": {}}
    for result in results:
        name = result["unique_id"]
        if name.endswith(".psi_within_threshold_features"):
            kinds["feature"][name] = result["status"]
        elif "psi_within_threshold_churn_scores" in name or "psi_within_threshold_ltv_scores" in name:
            kinds["prediction"][name] = result["status"]
    return kinds


def _feature_grades(workspace: Workspace) -> dict[str, int]:
    """Severity level per feature (0 pass, 1 warn, 2 error) of the last invocation's feature-drift test:
    its rows, queried again from the SQL it ran."""
    results = json.loads((workspace.root / "target" / "run_results.json").read_text())["results"]
    sql = next(
        result["compiled_code"] for result in results if result["unique_id"].endswith(".psi_within_threshold_features")
    )
    return {
        str(feature): int(level) for feature, level in workspace.query(f"select feature, severity_level from ({sql})")
    }


def test_a_later_build_with_drift_warns_on_features_fails_on_predictions_and_keeps_the_publication(
    demo_build: Workspace, tmp_path: Path
) -> None:
    workspace = copy_workspace(demo_build, tmp_path / "workspace")
    published = workspace.settings.published_path
    before = _published_state(published)
    as_of = workspace.query("select max(as_of_date) from reporting.publication", published=True)[0][0]
    # Seven weeks without a single order: every customer is 45 days less recent, nobody ordered in
    # the last 30 days. The champion (trained at the demo's date) is young enough to keep scoring.
    later = str(as_of + timedelta(days=45))  # type: ignore[operator]

    build = workspace.dbt("build", "--vars", f"{{as_of_date: '{later}'}}")
    graded = _drift_results(workspace)
    grades = _feature_grades(workspace)
    report = workspace.query(
        "select feature, value, status from reporting.drift_report "
        f"where as_of_date = '{later}' and check_name like 'feature_psi:%' and value >= 0.2"
    )
    after_build = _published_state(published)
    # The same tables graded with the var: only the tests run again.
    strict = workspace.dbt(
        "test",
        "--select",
        "test_name:psi_within_threshold psi_within_threshold_features",
        "--vars",
        "{feature_drift_severity: error}",
    )
    graded_strict = _drift_results(workspace)
    grades_strict = _feature_grades(workspace)
    # The publication node alone: it runs, sees a partial build and publishes nothing.
    partial = workspace.dbt("build", "--select", "publication")

    assert workspace.query("select bool_or(retrain) from ml.retraining_plan") == [(False,)]
    assert str(workspace.scalar("select max(as_of_date) from reporting.customer_scores")) == later  # rebuilt
    assert report, "the shift must put some feature PSI at the error level"
    assert {status for _, _, status in report} == {"warn"}
    assert list(graded["feature"].values()) == ["warn"]
    assert "fail" in graded["prediction"].values()
    assert build.returncode == 1 and "SKIP relation reporting.publication" in build.stdout
    assert after_build == before
    # Strict, exactly the features the report puts at the error level fail; by default they only warned.
    assert list(graded_strict["feature"].values()) == ["fail"]
    assert {feature for feature, level in grades_strict.items() if level == 2} == {feature for feature, _, _ in report}
    assert {grades[feature] for feature, _, _ in report} == {1}
    assert strict.returncode == 1 and "fail" in graded_strict["prediction"].values()
    assert partial.returncode == 0 and "not published (partial build: 1 of" in partial.stdout
    assert _published_state(published) == before
