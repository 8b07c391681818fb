"""Opening the warehouse DuckDB file with a clear error when another process holds it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from models_py.errors import RetailError


@contextmanager
def connect(
    path: Path, *, read_only: bool = False, memory_limit: str | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse file (creating its folder), closing it on exit."""
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


def set_memory_limit(con: duckdb.DuckDBPyConnection, memory_limit: str) -> None:
    """Cap DuckDB's memory (it spills to disk beyond it), with a clear error for a bad value."""
    try:
        con.execute("set memory_limit = ?", [memory_limit])
    except duckdb.Error:
        raise RetailError(f"invalid DuckDB memory limit {memory_limit!r}; use e.g. 6GB or 500MB") from None


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    row = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    return bool(row and row[0])
