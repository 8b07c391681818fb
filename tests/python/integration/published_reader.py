"""A BI-tool stand-in: queries the published warehouse in a loop until told to stop.

Run as ``python published_reader.py PUBLISHED STOP_FILE OUT_JSONL``. Each
iteration opens the file read-only like a BI tool would and, in one
transaction, reads the publication id and the row count and an order-free
checksum of several tables, and writes them as one JSON line (or the error).
The test compares each line with the tables as they were before the build
and as the build made them, recorded independently of this reader.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb

CHECKED_TABLES = (
    "reporting.customer_scores",
    "reporting.segment_summary",
    "reporting.segment_size_history",
    "marts.customer_features",
    "ml.churn_scores",
)


def table_state(con: duckdb.DuckDBPyConnection, table: str) -> list[object]:
    """Row count and a checksum of every value, independent of row order (as text, to survive JSON)."""
    row = con.execute(f"select count(*), cast(sum(hash(columns(*))) as varchar) from {table}").fetchall()[0]
    return list(row)


def observe(path: Path) -> dict[str, object]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        con.execute("begin transaction")
        publication_id = con.execute("select any_value(publication_id) from reporting.publication").fetchall()[0][0]
        tables = {table: table_state(con, table) for table in CHECKED_TABLES}
        con.execute("commit")
    finally:
        con.close()
    return {"publication_id": publication_id, "tables": tables}


def main() -> None:
    path, stop, out = (Path(argument) for argument in sys.argv[1:4])
    with out.open("w") as log:
        while not stop.exists():
            started = time.perf_counter()
            try:
                record = observe(path)
            except Exception as error:  # every failure is the finding, not a crash
                record = {"error": f"{type(error).__name__}: {error}"}
            record["seconds"] = round(time.perf_counter() - started, 4)
            log.write(json.dumps(record) + "\n")
            log.flush()
            time.sleep(0.02)


if __name__ == "__main__":
    main()
