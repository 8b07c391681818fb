"""Running dbt in-process against the project and warehouse named by the settings."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence

from models_py.settings import Settings


def run_dbt(settings: Settings, args: Sequence[str], *, as_of_date: str | None = None) -> bool:
    """Run one dbt command (e.g. ``["build"]``) with dbtRunner; return True on success.

    dbt-duckdb resolves the profile's relative path against the working
    directory, so the warehouse path is handed over absolute through the env.
    """
    from dbt.cli.main import dbtRunner  # imported late: dbt start-up is slow

    # DuckDB creates the file but not its folder.
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    os.environ.update(settings.dbt_env())
    command = [
        *args,
        "--project-dir",
        str(settings.project_dir),
        "--profiles-dir",
        str(settings.project_dir),
    ]
    if as_of_date is not None:
        command += ["--vars", json.dumps({"as_of_date": as_of_date})]
    previous = os.getcwd()
    os.chdir(settings.project_dir)
    try:
        result = dbtRunner().invoke(command)
    finally:
        os.chdir(previous)
    return bool(result.success)
