"""Shared fixtures: every test gets its own warehouse file; nothing reads warehouse/."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from models_py.settings import WAREHOUSE_ENV

PROJECT_DIR = Path(__file__).resolve().parents[2]
REAL_DATA = PROJECT_DIR.parent / "shared" / "data" / "online_retail.csv.gz"
RETAIL_BIN = Path(sys.executable).parent / "retail"


@dataclass(frozen=True)
class CliResult:
    returncode: int
    stdout: str
    stderr: str


@dataclass(frozen=True)
class Workspace:
    """A scratch warehouse and the `retail` CLI pointed at it."""

    root: Path
    warehouse: Path

    def run(self, *args: str | Path, check: bool = False) -> CliResult:
        env = {**os.environ, WAREHOUSE_ENV: str(self.warehouse)}
        # dbt writes target/ and logs/ under the project: keep parallel runs apart.
        env["DBT_TARGET_PATH"] = str(self.root / "target")
        env["DBT_LOG_PATH"] = str(self.root / "logs")
        completed = subprocess.run(
            [str(RETAIL_BIN), *map(str, args)],
            env=env,
            capture_output=True,
            text=True,
            cwd=self.root,
            check=False,
        )
        result = CliResult(completed.returncode, completed.stdout, completed.stderr)
        if check and result.returncode != 0:
            raise AssertionError(
                f"retail {' '.join(map(str, args))} exited {result.returncode}\n"
                f"stdout:\n{result.stdout[-4000:]}\nstderr:\n{result.stderr[-4000:]}"
            )
        return result

    def query(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]:
        con = duckdb.connect(str(self.warehouse), read_only=True)
        try:
            return con.execute(sql, list(params)).fetchall()
        finally:
            con.close()

    def scalar(self, sql: str, params: Sequence[object] = ()) -> object:
        return self.query(sql, params)[0][0]


def make_workspace(root: Path) -> Workspace:
    root.mkdir(parents=True, exist_ok=True)
    return Workspace(root=root, warehouse=root / "warehouse" / "retail.duckdb")


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return make_workspace(tmp_path)


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return tmp_path / "warehouse.duckdb"
