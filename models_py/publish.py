"""The published warehouse: a read-only copy for BI tools, the API and Evidence.

DuckDB lets one process write a database file, and while it writes no other
process may open it, not even read-only. Readers therefore never open the file
dbt builds: after a good build the ``marts``, ``ml`` and ``reporting`` schemas
(views materialised as tables) and the reference seeds are copied into a new
file beside the published one, which is then renamed over it. A rename is
atomic, so a reader opens either the previous publication or the new one,
never a half-written file or a mix of two builds, and a failed build or copy
leaves the last good publication in place. A reader that keeps a connection
open keeps reading the publication it opened.

The copy is written in DuckDB storage version 1.0.0, which every DuckDB from
1.0 on reads: Evidence's DuckDB reader and older BI drivers among them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from models_py.errors import RetailError
from models_py.settings import default_published_path
from models_py.warehouse import connect, table_exists

PUBLISHED_SCHEMAS = ("marts", "ml", "reporting")
# Seeds that reporting tables are joined to in BI (action rationale, rule trade-offs, RFM segment meanings), and
# raw.loads: the dashboard's Data page lists the loads, and it never opens the warehouse.
REFERENCE_TABLES = (
    ("raw", "retention_playbook"),
    ("raw", "exclusion_rules"),
    ("raw", "rfm_segments"),
    ("raw", "loads"),
)
STORAGE_VERSION = "v1.0.0"
MANIFEST_TABLE = "reporting.publication"
COPY_CONNECTIONS = 2
# Point lookups by customer (the API, BI drill-downs) use an ART index.
_INDEXES = {("reporting", "customer_scores"): "customer_id"}


@dataclass(frozen=True)
class Publication:
    """What one publication holds: its id and time, the build's as_of_date, and per-table row counts."""

    path: Path
    publication_id: str
    published_at: datetime
    as_of_date: date | None
    row_counts: dict[str, int]


def _quoted(schema: str, table: str) -> str:
    return f'"{schema}"."{table}"'


def _sql_string(path: Path) -> str:
    return str(path).replace("'", "''")


def _published_tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    schemas = ", ".join(f"'{schema}'" for schema in PUBLISHED_SCHEMAS)
    # The warehouse's own reporting.publication (the dbt node's record of the
    # last publication) is not copied: the copy gets its fresh manifest.
    tables = con.execute(
        f"""
        select table_schema, table_name
        from information_schema.tables
        where table_catalog = current_database() and table_schema in ({schemas})
            and table_schema || '.' || table_name <> '{MANIFEST_TABLE}'
        order by table_schema, table_name
        """
    ).fetchall()
    found = [(str(schema), str(table)) for schema, table in tables]
    return found + [(schema, table) for schema, table in REFERENCE_TABLES if table_exists(con, schema, table)]


def _as_of_date(con: duckdb.DuckDBPyConnection) -> date | None:
    if not table_exists(con, "reporting", "customer_scores"):
        return None
    row = con.execute("select max(as_of_date) from reporting.customer_scores").fetchone()
    return row[0] if row else None


def publish(warehouse_path: Path, published_path: Path) -> Publication:
    """Copy the reader-facing schemas of the warehouse into ``published_path``, atomically.

    Raises RetailError when the warehouse holds nothing to publish (run the
    build first) or is locked.
    """
    if not Path(warehouse_path).exists():
        raise RetailError(f"warehouse {warehouse_path} does not exist yet; run `retail build` first")
    # Read-write like dbt-duckdb's connection when called in the build's process:
    # DuckDB refuses a second connection to one file with another configuration.
    with connect(warehouse_path) as con:
        return publish_from(con, Path(warehouse_path), Path(published_path))


def _remove_abandoned_copies(published_path: Path) -> None:
    """Delete half-written copies left by publishing processes that were killed (their pid is gone)."""
    for copy in published_path.parent.glob(f".{published_path.name}.*.tmp"):
        pid = copy.name.removeprefix(f".{published_path.name}.").removesuffix(".tmp")
        if pid.isdigit() and not _is_running(int(pid)):
            copy.unlink(missing_ok=True)


def _is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def publish_from(con: duckdb.DuckDBPyConnection, warehouse_path: Path, published_path: Path) -> Publication:
    """``publish`` on an open warehouse connection (the dbt node passes its session).

    The copy is written to a temporary file in the same folder and renamed over
    the previous publication only once it is complete.
    """
    published_path.parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned_copies(published_path)
    staging = published_path.with_name(f".{published_path.name}.{os.getpid()}.tmp")
    staging.unlink(missing_ok=True)
    publication_id = uuid.uuid4().hex
    published_at = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    tables = _published_tables(con)
    if not any(schema == "reporting" for schema, _ in tables):
        raise RetailError(f"warehouse {warehouse_path} has no reporting tables to publish; run `retail build` first")
    as_of_date = _as_of_date(con)
    con.execute(f"attach '{_sql_string(staging)}' as publication (storage_version '{STORAGE_VERSION}')")
    try:
        for schema in sorted({schema for schema, _ in tables}):
            _run(con, "creating the schemas", f'create schema publication."{schema}"')
        row_counts = _copy_tables(con, tables)
        _run(
            con,
            "writing the manifest",
            f"create table publication.{MANIFEST_TABLE} as {MANIFEST_SELECT}",
            [publication_id, published_at, as_of_date, list(row_counts), list(row_counts.values())],
        )
    except BaseException as error:
        con.execute("detach publication")
        staging.unlink(missing_ok=True)
        if isinstance(error, _StepFailed):
            raise RetailError(
                f"publishing {warehouse_path} failed {error.step} ({str(error.error).splitlines()[0]}); "
                f"the previous publication at {published_path} is unchanged"
            ) from None
        raise
    con.execute("detach publication")
    os.replace(staging, published_path)
    return Publication(published_path, publication_id, published_at, as_of_date, row_counts)


class _StepFailed(Exception):
    def __init__(self, step: str, error: duckdb.Error) -> None:
        super().__init__(step)
        self.step, self.error = step, error


def _run(con: duckdb.DuckDBPyConnection, step: str, sql: str, parameters: list[Any] | None = None) -> None:
    try:
        con.execute(sql, parameters)
    except duckdb.Error as error:
        raise _StepFailed(step, error) from None


def _copy_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> int:
    """Copy one table into the attached publication on a connection of its own; its row count."""
    target = f"publication.{_quoted(schema, table)}"
    cursor = con.cursor()
    try:
        cursor.execute(f"create table {target} as select * from {_quoted(schema, table)}")
        if (schema, table) in _INDEXES:
            cursor.execute(f'create index "{table}_lookup" on {target} ("{_INDEXES[schema, table]}")')
        count = cursor.execute(f"select count(*) from {target}").fetchone()
    except duckdb.Error as error:
        raise _StepFailed(f"copying {schema}.{table}", error) from None
    finally:
        cursor.close()
    return int(count[0]) if count else 0


def _copy_tables(con: duckdb.DuckDBPyConnection, tables: list[tuple[str, str]]) -> dict[str, int]:
    """Row count per copied table, in the order of ``tables``.

    Two tables are copied at once: DuckDB runs a small table's copy on one thread, and
    at 100x the real data a day build's publication took 5.9-6.0 s one table at a time,
    5.0 s two at a time (three connections gained nothing on two cores). After a failed
    copy the pool still finishes the others before the error leaves, so the caller never
    detaches the publication under a running copy.
    """
    with ThreadPoolExecutor(max_workers=COPY_CONNECTIONS) as pool:
        counts = list(pool.map(lambda found: _copy_table(con, *found), tables))
    return {f"{schema}.{table}": count for (schema, table), count in zip(tables, counts, strict=True)}


MANIFEST_SELECT = """
    select
        cast(? as varchar) as publication_id,
        cast(? as timestamp) as published_at,
        cast(? as date) as as_of_date,
        split_part(table_name, '.', 1) as table_schema,
        split_part(table_name, '.', 2) as table_name,
        cast(row_count as bigint) as row_count
    from (select unnest(cast(? as varchar[])) as table_name, unnest(cast(? as bigint[])) as row_count)
"""


def publish_build(session: duckdb.DuckDBPyConnection, warehouse_path: str, published_path: str) -> pd.DataFrame:
    """The dbt node ``reporting.publication``: publish when this invocation is a complete build.

    ``session`` is dbt-duckdb's connection; ``published_path`` empty means the
    default beside the warehouse. The on-run-start hook ``record_build_scope``
    says whether the build was complete; otherwise the last manifest is kept
    and nothing is published. Returns the manifest of the publication readers see.
    """
    warehouse = Path(warehouse_path).resolve()
    target = Path(published_path).resolve() if published_path else default_published_path(warehouse)
    scope = session.execute("select is_complete_build, reason from main.dbt_build_scope").fetchone()
    if scope is None or not scope[0]:
        print(f"not published ({scope[1] if scope else 'no build scope recorded'}): readers keep {target}")
        if table_exists(session, "reporting", "publication"):
            return session.execute(f"select * from {MANIFEST_TABLE}").df()
        return session.execute(MANIFEST_SELECT, [None, None, None, [], []]).df()
    publication = publish_from(session, warehouse, target)
    record_tested_loads(session)
    return session.execute(
        MANIFEST_SELECT,
        [
            publication.publication_id,
            publication.published_at,
            publication.as_of_date,
            list(publication.row_counts),
            list(publication.row_counts.values()),
        ],
    ).df()


def record_tested_loads(session: duckdb.DuckDBPyConnection) -> None:
    """After a complete build that ran every data test, all passing (else this node is skipped):
    main.tested_loads holds the highest load id those tests covered. The next build's
    line-level tests check only the loads after it (dbt macro tested_through_load_id)."""
    scope = session.execute("select runs_every_data_test from main.dbt_build_scope").fetchone()
    if scope is None or not scope[0]:
        return
    session.execute(
        "create or replace table main.tested_loads as "
        "select coalesce(max(load_id), 0) as tested_through_load_id "
        "from intermediate.int_transaction_lines_classified"
    )


def connect_published(published_path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the publication at ``published_path`` as it is now.

    The file is attached to a private in-memory database under the catalog name
    dbt uses (the file's stem), so compiled dbt analyses run unchanged. Not
    ``duckdb.connect(path)``: within one process DuckDB hands out the database
    instance already open for a path, which after a new publication is the old file.
    """
    published_path = Path(published_path)
    if not published_path.exists():
        raise RetailError(
            f"no published warehouse at {published_path}: `retail build` publishes one after a successful "
            "build (or run `retail publish`)"
        )
    con = duckdb.connect()
    try:
        con.execute(f"attach '{_sql_string(published_path)}' as \"{published_path.stem}\" (read_only)")
        con.execute(f'use "{published_path.stem}"')
    except duckdb.Error as error:
        con.close()
        raise RetailError(f"published warehouse {published_path} cannot be read: {error}") from None
    return con


@contextmanager
def open_published(published_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """``connect_published``, closed on exit."""
    con = connect_published(published_path)
    try:
        yield con
    finally:
        con.close()


def records(con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None) -> list[dict[str, Any]]:
    """The rows of ``sql`` as dicts keyed by column name."""
    result = con.execute(sql, params or [])
    columns = [column[0] for column in result.description or ()]
    return [dict(zip(columns, row, strict=True)) for row in result.fetchall()]


def one_row(rows: list[dict[str, Any]], path: Path, table: str) -> dict[str, Any]:
    """The single row a one-row table of the publication must hold (e.g. the build's parameters)."""
    if len(rows) != 1:
        raise RetailError(f"{path}: {table} holds {len(rows)} rows, expected one (a build with scored customers)")
    return rows[0]


def read_publication(con: duckdb.DuckDBPyConnection, path: Path) -> Publication:
    """The manifest of the publication ``con`` reads (from ``open_published``)."""
    rows = con.execute(
        f"select publication_id, published_at, as_of_date, table_schema, table_name, row_count from {MANIFEST_TABLE}"
    ).fetchall()
    if not rows:
        raise RetailError(f"{path}: the publication manifest {MANIFEST_TABLE} is empty; run `retail publish`")
    first = rows[0]
    return Publication(
        path=path,
        publication_id=str(first[0]),
        published_at=first[1],
        as_of_date=first[2],
        row_counts={f"{row[3]}.{row[4]}": int(row[5]) for row in rows},
    )
