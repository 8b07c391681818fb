"""Segment history over scheduled builds: snapshot, size history and transitions."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.python.conftest import WITHOUT_DATA_TESTS, make_workspace

pytestmark = pytest.mark.integration


def test_dbt_build_segment_history_accumulates_and_reruns_change_nothing(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path)
    data = tmp_path / "demo.csv.gz"
    workspace.run("demo-data", "--rows", "40000", "--out", data, check=True)
    workspace.run("ingest", data, check=True)

    for as_of in ("2011-08-01", "2011-10-01"):
        workspace.run("build", "--as-of-date", as_of, *WITHOUT_DATA_TESTS, check=True)
    history_rows = workspace.query("select * from reporting.segment_size_history order by as_of_date, segment_id")
    snapshot_rows = workspace.scalar("select count(*) from reporting.snp_customer_segments")
    transitions = workspace.query("select customer_id, moved_on from reporting.segment_transitions order by 1")
    events = workspace.query("select * from reporting.segment_change_actions order by event_id")
    # The same build again, and a full refresh: history must survive unchanged.
    workspace.run("build", "--as-of-date", "2011-10-01", *WITHOUT_DATA_TESTS, check=True)
    workspace.run("build", "--as-of-date", "2011-10-01", "--full-refresh", check=True)

    dates = {str(row[-1]) for row in history_rows}
    assert dates == {"2011-08-01", "2011-10-01"}
    assert transitions, "customers moved between two builds two months apart"
    assert {str(moved_on) for _, moved_on in transitions} == {"2011-10-01"}
    first_build_customers = workspace.scalar(
        "select sum(customers) from reporting.segment_size_history where as_of_date = '2011-08-01'"
    )
    assert first_build_customers == workspace.scalar(
        "select count(*) from reporting.snp_customer_segments where cast(dbt_valid_from as date) = '2011-08-01'"
    )
    assert (
        workspace.query("select * from reporting.segment_size_history order by as_of_date, segment_id") == history_rows
    )
    assert workspace.scalar("select count(*) from reporting.snp_customer_segments") == snapshot_rows
    matrix_total = workspace.scalar("select sum(customers) from reporting.segment_transition_matrix")
    assert matrix_total == len(transitions)
    # The outbox: events only for the second build, and reruns add none (created_at unchanged too).
    assert events, "some customers crossed into high risk between two builds two months apart"
    assert {str(row[-2]) for row in events} == {"2011-10-01"}
    assert workspace.query("select * from reporting.segment_change_actions order by event_id") == events
    assert workspace.scalar("select count(distinct as_of_date) from reporting.score_history") == 2
