"""Opening the warehouse DuckDB file with a clear error when another process holds it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from models_py.errors import RetailError


@contextmanager
def connect(
    path: Path, *, read_only: bool = False, memory_limit: str | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse file (creating its folder), closing it on exit; ``memory_limit`` is
    the process's budget (``set_memory_limit``)."""
    path = Path(path)
    if read_only and not path.exists():
        raise RetailError(f"warehouse {path} does not exist yet; run `retail build` first")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as error:
        message = str(error).strip().splitlines()[0]
        if "lock" in message.lower():
            raise RetailError(
                f"warehouse {path} is in use by another process ({message}); wait for the "
                "running dbt build or close the program holding it, then retry"
            ) from None
        raise RetailError(f"warehouse {path} cannot be opened: {message}") from None
    try:
        if memory_limit is not None:
            set_memory_limit(con, memory_limit)
        yield con
    finally:
        con.close()


# RETAIL_DUCKDB_MEMORY_LIMIT is the memory budget of a whole process: DuckDB gets this share
# of it, the rest is for what runs beside it (the Python models' frames: about 1 GB at 100x
# the real data). profiles.yml takes the same share for dbt's connections.
DUCKDB_SHARE = 0.75
_MEMORY = re.compile(r"\s*([0-9]+(?:[.][0-9]+)?)\s*([a-zA-Z]+)\s*")


def duckdb_memory_limit(budget: str) -> str:
    """DuckDB's cap for a process with memory ``budget`` (e.g. ``6GB`` -> ``4.50GB``), in its unit."""
    match = _MEMORY.fullmatch(budget)
    if match is None:
        raise _invalid_budget(budget)
    return f"{float(match.group(1)) * DUCKDB_SHARE:.2f}{match.group(2)}"


def set_memory_limit(con: duckdb.DuckDBPyConnection, budget: str) -> None:
    """Cap DuckDB at its share of the process's memory ``budget`` (it spills to disk beyond it)."""
    limit = duckdb_memory_limit(budget)
    try:
        con.execute("set memory_limit = ?", [limit])
    except duckdb.Error:
        raise _invalid_budget(budget) from None


def _invalid_budget(budget: str) -> RetailError:
    return RetailError(
        f"invalid memory limit {budget!r} (RETAIL_DUCKDB_MEMORY_LIMIT); use a number and a unit, e.g. 6GB or 500MB"
    )


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    row = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    return bool(row and row[0])


def column_names(con: duckdb.DuckDBPyConnection, schema: str, table: str, *, catalog: str | None = None) -> set[str]:
    """The columns of ``schema.table`` in ``catalog`` (an attached database; default the current one)."""
    rows = con.execute(
        "select column_name from information_schema.columns "
        "where table_catalog = coalesce(?, current_database()) and table_schema = ? and table_name = ?",
        [catalog, schema, table],
    ).fetchall()
    return {str(row[0]) for row in rows}
