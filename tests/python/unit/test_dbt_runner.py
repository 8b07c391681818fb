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

    def __init__(self, manifest: Any = None) -> None:
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
