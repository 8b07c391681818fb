"""Shared fixtures: every test gets its own warehouse file; nothing reads warehouse/."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from models_py.settings import REPORTS_DIR_ENV, WAREHOUSE_ENV, Settings

PROJECT_DIR = Path(__file__).resolve().parents[2]
REAL_DATA = PROJECT_DIR.parent / "shared" / "data" / "online_retail.csv.gz"
RETAIL_BIN = Path(sys.executable).parent / "retail"
DBT_BIN = Path(sys.executable).parent / "dbt"
# Files for people to look at after a run (CI keeps them as artifacts), e.g. screenshots.
TEST_ARTIFACTS = Path(os.environ.get("RETAIL_TEST_ARTIFACTS") or PROJECT_DIR / "test-artifacts")
_SESSION_STARTED = time.time()
# For builds whose test claims nothing about the dbt data tests (a build run only
# to reach a state: a champion, history, earlier loads): the data tests cost about
# a quarter of a small build's CPU. A multi-build test's last build still runs
# them, and so do the shared demo build and the other builds of the suite.
WITHOUT_DATA_TESTS = ("--exclude-resource-type", "test", "unit_test")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Name the artifacts this run wrote (in the main process: worker output is not shown under xdist)."""
    written = sorted(
        path for path in TEST_ARTIFACTS.glob("*") if path.is_file() and path.stat().st_mtime >= _SESSION_STARTED
    )
    if written:
        terminalreporter.write_sep("-", "test artifacts")
        for path in written:
            terminalreporter.write_line(str(path))


# xdist (--dist loadgroup) hands out work units in collection order: groups first
# (most tests first), then single tests as they come. A long test collected late
# ran alone at the end while the other workers had nothing left. So the slowest
# modules (CI durations, 60-260 s each) are collected first and the unit tests
# last, where they fill the gaps. A module missing here only keeps its place.
LONGEST_FIRST = (
    "integration/test_evidence_site.py",
    "integration/test_spark.py",
    "integration/test_retraining.py",
    "integration/test_segment_history.py",
    "integration/test_replay.py",
    "real_data/test_bench.py",
    "integration/test_dbt_build.py",
    "integration/test_incremental.py",
    "integration/test_publication.py",
    "integration/test_dashboard.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Collect the slowest modules first and the unit tests last (see LONGEST_FIRST)."""

    def rank(item: pytest.Item) -> int:
        path = item.path.relative_to(PROJECT_DIR / "tests" / "python").as_posix()
        if path in LONGEST_FIRST:
            return LONGEST_FIRST.index(path)
        return len(LONGEST_FIRST) + (1 if path.startswith("unit/") else 0)

    items.sort(key=rank)  # stable: the order inside a module is kept


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

    @property
    def env(self) -> dict[str, str]:
        """The environment of a `retail` process on this workspace."""
        return {**os.environ, WAREHOUSE_ENV: str(self.warehouse), REPORTS_DIR_ENV: str(self.root / "reports")}

    @property
    def settings(self) -> Settings:
        return Settings.from_env(self.env)

    def run(self, *args: str | Path, check: bool = False) -> CliResult:
        env = self.env
        # dbt writes target/ and logs/ under the project: keep parallel runs apart.
        env["DBT_TARGET_PATH"] = str(self.root / "target")
        env["DBT_LOG_PATH"] = str(self.root / "logs")
        _reuse_parse(self.root / "target")
        completed = subprocess.run(
            [str(RETAIL_BIN), *map(str, args)],
            env=env,
            capture_output=True,
            text=True,
            cwd=self.root,
            check=False,
        )
        _reuse_parse(self.root / "target")
        result = CliResult(completed.returncode, completed.stdout, completed.stderr)
        if check and result.returncode != 0:
            raise AssertionError(
                f"retail {' '.join(map(str, args))} exited {result.returncode}\n"
                f"stdout:\n{result.stdout[-4000:]}\nstderr:\n{result.stderr[-4000:]}"
            )
        return result

    def dbt_invocation(self, *args: str) -> tuple[list[str], dict[str, str]]:
        """Command line and environment of plain dbt, as a scheduler runs it, on this workspace's warehouse."""
        env = {**self.env, **self.settings.dbt_env()}
        env.pop("RETAIL_PUBLISHED_WAREHOUSE")  # the default beside the warehouse, as for a new user
        env["DBT_TARGET_PATH"] = str(self.root / "target")
        env["DBT_LOG_PATH"] = str(self.root / "logs")
        return [str(DBT_BIN), *args, "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR)], env

    def dbt(self, *args: str) -> CliResult:
        """Plain dbt (no `retail` wrapper), run to the end."""
        command, env = self.dbt_invocation(*args)
        completed = subprocess.run(command, env=env, capture_output=True, text=True, cwd=PROJECT_DIR, check=False)
        return CliResult(completed.returncode, completed.stdout, completed.stderr)

    def query(self, sql: str, params: Sequence[object] = (), *, published: bool = False) -> list[tuple[object, ...]]:
        """Rows of ``sql`` on the warehouse, or with ``published`` on its published copy."""
        with self._reader(published) as con:
            return con.execute(sql, list(params)).fetchall()

    def frame(self, sql: str, *, published: bool = False) -> pd.DataFrame:
        """``query`` as a pandas DataFrame."""
        with self._reader(published) as con:
            return con.execute(sql).df()

    @contextmanager
    def _reader(self, published: bool) -> Iterator[duckdb.DuckDBPyConnection]:
        con = duckdb.connect(str(self.settings.published_path if published else self.warehouse), read_only=True)
        try:
            yield con
        finally:
            con.close()

    def scalar(self, sql: str, params: Sequence[object] = ()) -> object:
        return self.query(sql, params)[0][0]


PARSE_CACHE_ENV = "RETAIL_TEST_PARSE_CACHE"
_PARTIAL_PARSE = "partial_parse.msgpack"


def _reuse_parse(target: Path) -> None:
    """Start a workspace's dbt target folder from the run's first parse of the project.

    Each workspace has its own target folder, so each first build parsed the whole
    project again (about 5 s). dbt checks a partial-parse file against the project,
    vars, profile and env vars before using it and re-parses what differs, so a copy
    from another workspace of the same checkout is only a head start. The first
    workspace to finish a parse stores it for the others (PARSE_CACHE_ENV, set per run).
    """
    cache = Path(os.environ[PARSE_CACHE_ENV]) if os.environ.get(PARSE_CACHE_ENV) else None
    own = target / _PARTIAL_PARSE
    if cache is None:
        return
    if cache.exists() and not own.exists():
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(cache, own)
    elif own.exists() and not cache.exists():
        partial = cache.with_name(f".{cache.name}.{os.getpid()}")
        shutil.copyfile(own, partial)
        os.replace(partial, cache)


@pytest.fixture(scope="session", autouse=True)
def shared_parse(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Name the run's shared partial-parse file (see _reuse_parse)."""
    os.environ[PARSE_CACHE_ENV] = str(shared_root(tmp_path_factory) / _PARTIAL_PARSE)


def make_workspace(root: Path) -> Workspace:
    root.mkdir(parents=True, exist_ok=True)
    return Workspace(root=root, warehouse=root / "warehouse" / "retail.duckdb")


def copy_workspace(source: Workspace, root: Path) -> Workspace:
    """A copy of a built workspace (warehouse, publication, MLflow store) to change without touching it."""
    shutil.copytree(source.root / "warehouse", root / "warehouse")
    return make_workspace(root)


@contextmanager
def exclusive(lock_file: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_file`` (across processes: the xdist workers)."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with lock_file.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def shared_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder every xdist worker of this run sees (the base temp of a run without workers)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """One full `retail build` on 60k demo rows for the whole run, shared by the tests that only read it.

    The first worker to need it builds it under a lock, the others wait and reuse
    it, so its tests spread over the workers. A test that writes (a build, dbt
    docs) works on ``copy_workspace(demo_build, ...)``: another worker may be
    reading this one, and DuckDB refuses a writer while a reader holds the file.
    """
    root = shared_root(tmp_path_factory)
    workspace = make_workspace(root / "demo_build")
    done = workspace.root / "built"
    with exclusive(root / "demo_build.lock"):
        if not done.exists():
            data = workspace.root / "demo.csv.gz"
            workspace.run("demo-data", "--rows", "60000", "--out", data, check=True)
            workspace.run("ingest", data, check=True)
            workspace.run("build", check=True)
            done.write_text("")
    return workspace


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return make_workspace(tmp_path)


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return tmp_path / "warehouse.duckdb"
