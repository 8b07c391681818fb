"""Background jobs: one at a time, progress from dbt's and replay's output, failures named, pause and stop."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from models_py.serving.jobs import (
    JobBusy,
    JobStatus,
    failure_of,
    latest_job,
    parse_progress,
    request,
    running_job,
    start_job,
)

PYTHON = sys.executable
# A job step that behaves like `retail replay`: one line per batch, the pause/stop check between batches.
BATCHES = """
import sys, time
from models_py.serving.jobs import control_requested
for number in range(1, 41):
    time.sleep(0.2)
    print(f"batch {number} of 40: week {number}", flush=True)
    if control_requested(poll_seconds=0.05):
        break
"""

DBT_OUTPUT = """\
$ retail build
12:00:00  Running with dbt=1.11.16
12:00:01  1 of 4 START sql table model marts.fct_orders ..... [RUN]
12:00:01  2 of 4 START sql table model marts.dim_customers ..... [RUN]
12:00:02  2 of 4 OK created sql table model marts.dim_customers ..... [OK in 0.2s]
12:00:02  1 of 4 OK created sql table model marts.fct_orders ..... [OK in 0.3s]
12:00:03  3 of 4 START test not_null_fct_orders_order_id ..... [RUN]
12:00:03  3 of 4 FAIL 2 not_null_fct_orders_order_id ..... [FAIL 2 in 0.1s]
12:00:04  Completed with 1 error, 0 partial successes, and 0 warnings:
12:00:04
12:00:04  Failure in test not_null_fct_orders_order_id (models/marts/_marts.yml)
12:00:04    Got 2 results, configured to fail if != 0
12:00:04
12:00:04    compiled code at target/compiled/not_null_fct_orders_order_id.sql
"""


def _wait(warehouse: Path, timeout: float = 60) -> JobStatus:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = latest_job(warehouse)
        if job is not None and job.finished:
            return job
        time.sleep(0.1)
    raise AssertionError(f"the job did not finish in {timeout} s")


def test_progress_counts_finished_dbt_nodes_of_the_running_step() -> None:
    lines = ["$ retail ingest data.csv", "load 2: 10 rows", *DBT_OUTPUT.splitlines()]

    progress = parse_progress(lines, [["retail", "ingest", "data.csv"], ["retail", "build"]])

    # Nodes 1, 2 and 3 finished (3 failed) of 4, in the second of two steps: (1 + 3/4) / 2.
    assert (progress.step, progress.steps, progress.done, progress.total) == (2, 2, 3, 4)
    assert progress.label == "retail build"
    assert progress.fraction == pytest.approx(0.875)


def test_progress_of_a_replay_is_its_batch_counter() -> None:
    lines = ["$ retail replay --by week", "batch 1 of 13: 2011-06-01", "batch 2 of 13: 2011-06-08"]

    progress = parse_progress(lines, [["retail", "replay", "--by", "week"]])

    assert (progress.done, progress.total) == (2, 13)
    assert progress.fraction == pytest.approx(2 / 13)


def test_a_failure_names_the_failing_node_and_its_message() -> None:
    failure = failure_of(DBT_OUTPUT.splitlines())

    assert failure is not None
    assert failure.startswith("Failure in test not_null_fct_orders_order_id")
    assert "Got 2 results, configured to fail if != 0" in failure
    assert failure_of(["$ retail ingest x.csv", "error: x.csv: file does not exist"]) == "x.csv: file does not exist"
    # A project that does not compile: dbt says so without a timestamp.
    compile_error = [
        "23:15:53  Encountered an error:",
        "Compilation Error in model previous_scores (dbt_project/models/reporting/previous_scores.sql)",
        "  time data '2011-13-45' does not match format '%Y-%m-%d'",
    ]
    assert failure_of(compile_error) == (
        "Compilation Error in model previous_scores (dbt_project/models/reporting/previous_scores.sql) "
        "time data '2011-13-45' does not match format '%Y-%m-%d'"
    )


def test_a_second_job_is_refused_while_one_runs_then_runs_after_it(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse" / "retail.duckdb"
    first = start_job(warehouse, "retail build", [[PYTHON, "-c", "import time; time.sleep(3)"]])

    with pytest.raises(JobBusy, match=rf"retail build is running since {first.started_at:%H:%M}"):
        start_job(warehouse, "retail replay", [[PYTHON, "-c", "print('never')"]])
    assert running_job(warehouse) is not None

    done = _wait(warehouse)
    assert (done.label, done.state, done.returncode) == ("retail build", "succeeded", 0)
    assert running_job(warehouse) is None
    second = start_job(warehouse, "retail replay", [[PYTHON, "-c", "print('ran')"]])
    assert _wait(warehouse).directory == second.directory
    assert "ran" in _wait(warehouse).log_tail


def test_a_failing_step_stops_the_job_and_says_why(tmp_path: Path) -> None:
    warehouse = tmp_path / "retail.duckdb"
    failing = "import sys; print('error: orders.csv: column Datum is missing'); sys.exit(2)"

    start_job(warehouse, "ingest and build", [[PYTHON, "-c", failing], [PYTHON, "-c", "print('built')"]])

    job = _wait(warehouse)
    assert (job.state, job.returncode) == ("failed", 2)
    assert job.failure == "orders.csv: column Datum is missing"
    assert "built" not in job.log_tail  # the second step never ran


def test_pause_holds_the_job_between_batches_and_stop_ends_it_after_the_current_one(tmp_path: Path) -> None:
    warehouse = tmp_path / "retail.duckdb"
    job = start_job(warehouse, "retail replay", [[PYTHON, "-c", BATCHES], [PYTHON, "-c", "print('after')"]])
    while parse_progress(latest_job(warehouse).log_tail, job.commands).done < 2:  # type: ignore[union-attr]
        time.sleep(0.05)

    request(job.directory, "pause")
    time.sleep(0.5)
    paused = latest_job(warehouse)
    assert paused is not None and paused.state == "paused"
    time.sleep(0.8)
    assert latest_job(warehouse).progress.done == paused.progress.done  # type: ignore[union-attr]

    request(job.directory, "resume")
    time.sleep(0.6)
    assert latest_job(warehouse).progress.done > paused.progress.done  # type: ignore[union-attr]
    request(job.directory, "stop")

    stopped = _wait(warehouse)
    assert stopped.state == "stopped"
    assert 2 < stopped.progress.done < 40
    assert "after" not in stopped.log_tail  # a stop skips the steps after it
