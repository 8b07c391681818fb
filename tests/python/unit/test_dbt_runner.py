"""How `retail` hands a build to dbt: unit tests left out, the date as an env var for one invocation only."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar

import pytest

from models_py import dbt_runner
from models_py.dbt_runner import DbtSession, production_build
from models_py.settings import AS_OF_DATE_ENV, Settings


def test_production_build_leaves_out_unit_tests_unless_resource_types_are_chosen() -> None:
    assert production_build(["--select", "marts"]) == [
        "build",
        "--select",
        "marts",
        "--exclude-resource-type",
        "unit_test",
    ]
    assert production_build(["--resource-type", "unit_test"]) == ["build", "--resource-type", "unit_test"]
    assert production_build(["--exclude-resource-types=snapshot"]) == ["build", "--exclude-resource-types=snapshot"]


class _Recorder:
    """Stands in for dbtRunner: records the as_of_date env var each invocation saw."""

    seen: ClassVar[list[str | None]] = []

    def __init__(self, manifest: Any = None, callbacks: Any = None) -> None:
        pass

    def invoke(self, args: list[str]) -> Any:
        _Recorder.seen.append(os.environ.get(AS_OF_DATE_ENV))
        return type("Result", (), {"success": True, "result": None})()


def test_as_of_date_is_set_for_one_invocation_and_the_users_value_comes_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dbt.cli.main

    monkeypatch.setattr(dbt.cli.main, "dbtRunner", _Recorder)
    monkeypatch.setenv("RETAIL_WAREHOUSE", str(tmp_path / "retail.duckdb"))
    monkeypatch.setenv(AS_OF_DATE_ENV, "2011-01-01")
    session = DbtSession(Settings.from_env())
    _Recorder.seen = []

    session.invoke(["build"], as_of_date="2011-09-10")
    after_dated = os.environ.get(AS_OF_DATE_ENV)
    monkeypatch.delenv(AS_OF_DATE_ENV)
    session.invoke(["build"], as_of_date="2011-10-01")
    after_second = os.environ.get(AS_OF_DATE_ENV)
    session.invoke(["build"])

    assert _Recorder.seen == ["2011-09-10", "2011-10-01", None]
    assert after_dated == "2011-01-01"
    assert after_second is None
    assert dbt_runner.AS_OF_DATE_ENV == AS_OF_DATE_ENV


def test_two_warehouses_in_one_process_each_get_their_own_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The profile names the warehouse by file name, so both have equal dbt-duckdb credentials: the
    second seed must still land in the second file (a two-date backtest wrote into the first)."""
    import duckdb

    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))
    warehouses = [tmp_path / name / "retail.duckdb" for name in ("first", "second")]
    for warehouse, seed in zip(warehouses, ("rfm_segments", "exclusion_rules"), strict=True):
        monkeypatch.setenv("RETAIL_WAREHOUSE", str(warehouse))
        outcome = DbtSession(Settings.from_env()).invoke(["seed", "--select", seed, "--log-level", "none"])
        assert outcome.success

    dbt_runner._release_other_warehouse(tmp_path / "elsewhere.duckdb")  # close the second file to read it
    seeds = ("rfm_segments", "exclusion_rules")
    for warehouse, seed, other in zip(warehouses, seeds, reversed(seeds), strict=True):
        con = duckdb.connect(str(warehouse), read_only=True)
        try:
            tables = {row[0] for row in con.execute("select table_name from duckdb_tables()").fetchall()}
        finally:
            con.close()
        assert seed in tables and other not in tables, (warehouse, tables)


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        (  # a macro's raise_compiler_error, as dbt words it for a SQL model
            "Compilation Error in model customer_training_snapshots (models/marts/customer_training_snapshots.sql)\n"
            "  churn and LTV cannot be trained: 0 of the 2518 customers had ordered.\n  \n"
            "  > in macro require_training_history (macros/training_cutoffs.sql)\n"
            "  > called by model customer_training_snapshots (models/marts/customer_training_snapshots.sql)",
            "churn and LTV cannot be trained: 0 of the 2518 customers had ordered.",
        ),
        (  # a Python model raising the project's error
            "Runtime Error in model churn_scores (models/ml/churn_scores.py)\n  Python model failed:\n"
            '  Traceback (most recent call last):\n    File "/tmp/x.py", line 12, in model\n      return fit()\n'
            "  models_py.errors.RetailError: fit snapshots: 0 rows, at least 50 are needed to fit a model\n  ",
            "fit snapshots: 0 rows, at least 50 are needed to fit a model",
        ),
        (  # any other exception: its last line, type included
            "Runtime Error in model ltv_scores (models/ml/ltv_scores.py)\n  Python model failed:\n"
            '  Traceback (most recent call last):\n    File "/tmp/y.py", line 3, in model\n'
            "  ValueError: Input X contains NaN.",
            "ValueError: Input X contains NaN.",
        ),
        ("Database Error\n  Binder Error: column x not found", "Binder Error: column x not found"),
    ],
    ids=["macro error", "python model, project error", "python model, other error", "database error"],
)
def test_error_reason_keeps_what_went_wrong_without_dbts_framing(message: str, reason: str) -> None:
    assert dbt_runner.error_reason(message) == reason
