"""The loaded raw tables as Parquet: how raw rows reach an engine other than DuckDB (Spark).

`retail ingest` stays the one way in (encodings, mappings, bad rows counted);
this writes what it loaded, ``raw.transactions`` and ``raw.loads``, one folder per
table, which the Spark target's on-run-start hook (macro ``register_raw_parquet``)
registers as views. On a cluster, the folders go to the lake (S3, ADLS,
DBFS) and ``RETAIL_RAW_PARQUET`` names where.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from models_py.errors import RetailError
from models_py.warehouse import connect, table_exists

RAW_TABLES = ("transactions", "loads")


def export_raw(warehouse_path: Path, out: Path, *, memory_limit: str | None = None) -> dict[str, int]:
    """Write ``raw.<table>`` to ``out/<table>/part-0.parquet`` for each raw table; return the row counts.

    Each table's folder is replaced whole, so a reader never sees files of two exports.
    """
    counts: dict[str, int] = {}
    with connect(warehouse_path, read_only=True, memory_limit=memory_limit) as con:
        if not table_exists(con, "raw", "transactions"):
            raise RetailError(f"{warehouse_path} has no raw.transactions: load a file with `retail ingest FILE` first")
        for table in RAW_TABLES:
            folder = out / table
            partial = out / f".{table}.partial"
            shutil.rmtree(partial, ignore_errors=True)
            partial.mkdir(parents=True)
            target = str(partial / "part-0.parquet").replace("'", "''")
            # COPY returns the rows it wrote: no second scan to count them.
            row = con.execute(
                f"copy (select * from raw.{table}) to '{target}' (format parquet, compression zstd)"
            ).fetchone()
            counts[table] = int(row[0]) if row else 0
            shutil.rmtree(folder, ignore_errors=True)
            partial.rename(folder)
    return counts
