"""Running dbt in-process against the project and warehouse named by the settings."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from models_py.dbt_logging import level_log
from models_py.settings import AS_OF_DATE_ENV, WAREHOUSE_ENV, Settings


@dataclass(frozen=True)
class DbtOutcome:
    success: bool
    failed: dict[str, str]  # unique id -> tested column ("" if none) of the nodes that errored or failed
    # unique id -> the SQL dbt ran, of the data tests that failed: their failing rows, queried again
    failed_test_sql: dict[str, str] = field(default_factory=dict)
    # unique id -> what went wrong (``error_reason``), of the nodes that errored
    errors: dict[str, str] = field(default_factory=dict)


class DbtSession:
    """One dbtRunner for many invocations: the parsed manifest is reused, so a
    replay of 52 weekly builds pays dbt's parse once, not 52 times."""

    def __init__(self, settings: Settings, *, reuse_manifest: bool = False) -> None:
        self.settings = settings
        self.reuse_manifest = reuse_manifest
        self._manifests: dict[str, Any] = {}  # by the vars they were parsed with: configs render vars

    def invoke(
        self,
        args: Sequence[str],
        *,
        variables: Mapping[str, object] | None = None,
        as_of_date: str | None = None,
    ) -> DbtOutcome:
        """Run one dbt command (e.g. ``["build"]``), at ``as_of_date`` (YYYY-MM-DD) if given.

        dbt-duckdb resolves the profile's relative path against the working
        directory, so the warehouse path is handed over absolute through the env.
        """
        # DuckDB creates the file but not its folder.
        self.settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
        _release_other_warehouse(self.settings.warehouse_path)
        os.environ.update(self.settings.dbt_env())
        # For this invocation only: a later one in this process must not inherit it.
        users_date = os.environ.get(AS_OF_DATE_ENV)
        if as_of_date:
            os.environ[AS_OF_DATE_ENV] = as_of_date
        # The profile names the warehouse by file name and dbt runs from its folder: dbt
        # hashes the profile's path into its partial-parse check, so an absolute path
        # made every new warehouse (each test, backtest date, replay) re-parse the whole
        # project (~5 s); a file name keeps one parse valid for all of them.
        os.environ[WAREHOUSE_ENV] = self.settings.warehouse_path.name
        project = str(self.settings.project_dir)
        command = [*args, "--project-dir", project, "--profiles-dir", project]
        if variables:
            command += ["--vars", json.dumps(dict(variables))]
        previous = os.getcwd()
        os.chdir(self.settings.warehouse_path.parent)
        try:
            manifest = None
            if self.reuse_manifest:
                key = json.dumps(dict(variables or {}), sort_keys=True)
                if key not in self._manifests:
                    # Quiet: the parse is plumbing; the command itself reports.
                    parse = ["parse", "--log-level", "none", "--project-dir", project, "--profiles-dir", project]
                    parsed = _invoke(None, parse + (["--vars", key] if variables else []), project)
                    self._manifests[key] = parsed.result if parsed.success else None
                manifest = self._manifests[key]
            result = _invoke(manifest, command, project)
        finally:
            os.chdir(previous)
            if users_date is None:
                os.environ.pop(AS_OF_DATE_ENV, None)
            else:
                os.environ[AS_OF_DATE_ENV] = users_date
        return DbtOutcome(
            bool(result.success),
            _failed_nodes(result.result),
            _failed_test_sql(result.result),
            _node_errors(result.result),
        )


def _invoke(manifest: Any, command: list[str], project: str) -> Any:
    """dbtRunner's result for ``command``, its log lines written by a ``LevelLog`` when it can (see dbt_logging)."""
    from dbt.cli.main import dbtRunner  # imported late: dbt start-up is slow

    log = level_log(command, Path(project))
    if log is None:
        return dbtRunner(manifest=manifest).invoke(command)
    try:
        return dbtRunner(manifest=manifest, callbacks=[log]).invoke(log.command(command))
    finally:
        log.close()


_warehouse_in_use: list[Path] = []  # the warehouse dbt-duckdb's DuckDB instance in this process has open


def _release_other_warehouse(warehouse: Path) -> None:
    """Close dbt-duckdb's DuckDB instance if it has another warehouse open.

    dbt-duckdb keeps one instance per process and reuses it while the profile's
    credentials are equal. The profile names the warehouse by file name (above),
    so a second warehouse in the same process (the next date of a backtest) had
    equal credentials, and its build wrote into the first warehouse's file.
    """
    warehouse = warehouse.resolve()
    if _warehouse_in_use and _warehouse_in_use[0] != warehouse:
        release_warehouse()
    _warehouse_in_use[:] = [warehouse]


def release_warehouse() -> None:
    """Close dbt-duckdb's DuckDB instance, if dbt opened one in this process (DuckDB checkpoints on close)."""
    if "dbt.adapters.duckdb" not in sys.modules:
        return
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        if DuckDBConnectionManager._ENV is not None:
            DuckDBConnectionManager._ENV.close()
            DuckDBConnectionManager._ENV = None


# dbt unit tests check the project's SQL on hand-made rows, not the data: they run in
# the test suite (`retail dbt test --select test_type:unit`), not in every scheduled build.
_RESOURCE_TYPE_FLAGS = ("--resource-type", "--resource-types", "--exclude-resource-type", "--exclude-resource-types")


def production_build(args: Sequence[str]) -> list[str]:
    """``dbt build`` arguments for a pipeline build: without dbt unit tests, unless ``args`` choose resource types."""
    chosen = any(arg.split("=", 1)[0] in _RESOURCE_TYPE_FLAGS for arg in args)
    return ["build", *args] if chosen else ["build", *args, "--exclude-resource-type", "unit_test"]


def _failed_nodes(result: Any) -> dict[str, str]:
    nodes = getattr(result, "results", None) or ()
    return {
        item.node.unique_id: getattr(item.node, "column_name", None) or ""
        for item in nodes
        if str(getattr(item, "status", "")).lower() in {"error", "fail"}
    }


def _failed_test_sql(result: Any) -> dict[str, str]:
    nodes = getattr(result, "results", None) or ()
    return {
        item.node.unique_id: item.node.compiled_code
        for item in nodes
        if str(getattr(item, "status", "")).lower() == "fail" and getattr(item.node, "compiled_code", None)
    }


def _node_errors(result: Any) -> dict[str, str]:
    nodes = getattr(result, "results", None) or ()
    return {
        item.node.unique_id: error_reason(str(getattr(item, "message", None) or ""))
        for item in nodes
        if str(getattr(item, "status", "")).lower() == "error"
    }


def error_reason(message: str) -> str:
    """The reason in a dbt node's error message, without dbt's framing.

    A Python model's message is a traceback: its last line, and of a RetailError only the
    project's text. A SQL model's or macro's message is a first line naming the node
    ("Compilation Error in model ...") and a call chain ("> in macro ..."): the lines between.
    """
    if "Traceback (most recent call last)" in message:
        last = next((line.strip() for line in reversed(message.splitlines()) if line.strip()), "")
        return last.split("RetailError: ", 1)[-1]
    kept = [line.strip() for line in message.splitlines()[1:] if line.strip() and not line.strip().startswith(">")]
    return " ".join(kept) or message.strip()


def run_dbt(
    settings: Settings,
    args: Sequence[str],
    *,
    variables: Mapping[str, object] | None = None,
    as_of_date: str | None = None,
) -> DbtOutcome:
    """Run one dbt command in a fresh session."""
    return DbtSession(settings).invoke(args, variables=variables, as_of_date=as_of_date)
