"""Reading a local MLflow SQLite store with sqlite3, without MLflow's client.

MLflow's client opens a SQLite store through its SQLAlchemy store, and importing
that (the ORM of about 70 tables) costs about 2 s of CPU in every process. A
build that reuses its champions only reads a few rows: the champion aliases, a
version's tags, a run's params, latest metrics and JSON artifacts. So those reads
go to SQLite directly when the store is a local file in a schema revision read
here before (KNOWN_SCHEMAS, checked against the client by the test suite);
anything else (a tracking server, another MLflow version's schema, an MLflow
workspace other than the default) returns None and the caller uses the client.
Writes (training, registering, promoting) always go through the client.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

# alembic revisions of MLflow's tracking schema whose tables and columns the
# queries below were checked against (MLflow 3.17).
KNOWN_SCHEMAS = frozenset({"dc11669786a5"})
SQLITE_PREFIX = "sqlite:///"
_DEFAULT_WORKSPACE = "default"
_DELETED_VERSION = "Deleted_Internal"


@dataclass(frozen=True)
class StoredVersion:
    version: int
    run_id: str
    source: str
    tags: dict[str, str]


def sqlite_path(tracking_uri: str) -> Path | None:
    """The database file of a SQLite tracking URI, or None for any other store."""
    return Path(tracking_uri[len(SQLITE_PREFIX) :]) if tracking_uri.startswith(SQLITE_PREFIX) else None


def local_folder(uri: str) -> Path | None:
    """The folder of an artifact URI on local disk (``file:``); None for any other artifact store."""
    parsed = urlparse(uri)
    return Path(unquote(parsed.path)) if parsed.scheme == "file" else None


@contextmanager
def open_store(tracking_uri: str) -> Iterator[StoreReader | None]:
    """A reader of the store, or None when MLflow's client must read it."""
    path = sqlite_path(tracking_uri)
    if path is None or os.environ.get("MLFLOW_WORKSPACE", _DEFAULT_WORKSPACE) != _DEFAULT_WORKSPACE:
        yield None
        return
    if not path.is_file():
        yield None
        return
    with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as con:
        try:
            revision = con.execute("select version_num from alembic_version").fetchone()
        except sqlite3.DatabaseError:
            revision = None
        yield StoreReader(con) if revision is not None and revision[0] in KNOWN_SCHEMAS else None


@dataclass(frozen=True)
class StoreReader:
    """Reads of one SQLite store, in the default MLflow workspace; deleted versions are left out, as by the client."""

    con: sqlite3.Connection

    def version_by_alias(self, name: str, alias: str) -> StoredVersion | None:
        return self._version(
            name,
            "version.version = (select alias.version from registered_model_aliases as alias "
            "where alias.name = ? and alias.alias = ? and alias.workspace = ?)",
            (name, alias, _DEFAULT_WORKSPACE),
        )

    def version_by_number(self, name: str, version: int) -> StoredVersion | None:
        return self._version(name, "version.version = ?", (version,))

    def _version(self, name: str, where: str, args: tuple[object, ...]) -> StoredVersion | None:
        row = self.con.execute(
            "select version.version, version.run_id, version.source from model_versions as version "
            f"where version.name = ? and version.workspace = ? and version.current_stage <> ? and {where}",
            (name, _DEFAULT_WORKSPACE, _DELETED_VERSION, *args),
        ).fetchone()
        if row is None:
            return None
        tags = self.con.execute(
            "select key, value from model_version_tags where name = ? and version = ? and workspace = ?",
            (name, row[0], _DEFAULT_WORKSPACE),
        ).fetchall()
        return StoredVersion(int(row[0]), str(row[1]), str(row[2]), {str(key): str(value) for key, value in tags})

    def run_params(self, run_id: str) -> dict[str, str]:
        rows = self.con.execute("select key, value from params where run_uuid = ?", (run_id,)).fetchall()
        return {str(key): str(value) for key, value in rows}

    def run_metrics(self, run_id: str) -> tuple[str, dict[str, float]] | None:
        """(experiment name, latest value of each metric) of a run, or None for an unknown run."""
        experiment = self.con.execute(
            "select experiment.name from runs as run "
            "inner join experiments as experiment on experiment.experiment_id = run.experiment_id "
            "where run.run_uuid = ?",
            (run_id,),
        ).fetchone()
        if experiment is None:
            return None
        rows = self.con.execute(
            "select key, value, is_nan from latest_metrics where run_uuid = ?", (run_id,)
        ).fetchall()
        return str(experiment[0]), {str(key): float("nan") if is_nan else float(value) for key, value, is_nan in rows}

    def artifact_folder(self, run_id: str) -> Path | None:
        """The run's artifact folder when it is on local disk (a file: URI), else None."""
        row = self.con.execute("select artifact_uri from runs where run_uuid = ?", (run_id,)).fetchone()
        if row is None:
            return None
        return local_folder(str(row[0]))
