"""retail replay: history fed in chronological batches, a build after each."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.python.conftest import make_workspace

pytestmark = pytest.mark.integration


def test_replay_by_rows_builds_after_each_batch_and_loses_no_row(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path)
    data = tmp_path / "demo.csv.gz"
    workspace.run("demo-data", "--rows", "20000", "--out", data, check=True)
    workspace.run("ingest", data, check=True)
    into = tmp_path / "replay" / "retail.duckdb"

    result = workspace.run(
        "replay",
        "--by",
        "rows",
        "--rows",
        "2500",
        "--start",
        "2011-10-01",
        "--refit-every",
        "2",
        "--into",
        into,
        check=True,
    )

    source_rows = workspace.scalar("select count(*) from raw.transactions")
    con = duckdb.connect(str(into), read_only=True)
    try:
        loads = con.execute("select count(*), sum(row_count) from raw.loads").fetchone()
        accounted = con.execute("select sum(rows_affected) from marts.data_quality").fetchone()
        builds = con.execute("select count(distinct as_of_date) from reporting.segment_size_history").fetchone()
        moves = con.execute("select count(*) from reporting.segment_transitions").fetchone()
        versions = con.execute(
            "select count(distinct segmentation_model_version), count(distinct churn_model_version) "
            "from reporting.score_history"
        ).fetchone()
    finally:
        con.close()
    assert loads is not None and accounted is not None and builds is not None and moves is not None
    batches = loads[0]
    assert batches >= 3
    assert f"replayed {batches} batches" in result.stdout
    assert loads[1] == accounted[0] == source_rows, "every source row was replayed and accounted for"
    assert builds[0] == batches
    assert moves[0] > 0
    # Segmentation moved every batch (partial_fit or refit); churn stayed on its champion (max_age policy).
    assert versions == (batches, 1)
    # Each batch's build published beside the replay warehouse, never over the source's publication.
    assert not workspace.settings.published_path.exists()
    replayed = duckdb.connect(str(into.parent / "published" / "retail.duckdb"), read_only=True)
    try:
        assert replayed.execute("select count(distinct as_of_date) from reporting.score_history").fetchone() == (
            batches,
        )
    finally:
        replayed.close()


def test_replay_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path)
    into = tmp_path / "replay.duckdb"
    into.write_bytes(b"")

    result = workspace.run("replay", "--into", into)

    assert result.returncode == 2
    assert "pass --force" in result.stderr
