"""A BI-tool stand-in: queries the published warehouse in a loop until told to stop.

Run as ``python published_reader.py PUBLISHED STOP_FILE OUT_JSONL``. Each
iteration opens the file read-only like a BI tool would, reads the manifest
and counts the rows of several tables in one transaction, and writes one JSON
line: the publication id, whether every count matched the manifest, or the error.
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


def observe(path: Path) -> dict[str, object]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        con.execute("begin transaction")
        manifest = dict(
            con.execute("select table_schema || '.' || table_name, row_count from reporting.publication").fetchall()
        )
        publication_id = con.execute("select any_value(publication_id) from reporting.publication").fetchall()[0][0]
        counts = {table: con.execute(f"select count(*) from {table}").fetchall()[0][0] for table in CHECKED_TABLES}
        as_of = con.execute("select max(as_of_date) from reporting.customer_scores").fetchall()[0][0]
        manifest_as_of = con.execute("select max(as_of_date) from reporting.publication").fetchall()[0][0]
        con.execute("commit")
    finally:
        con.close()
    consistent = all(counts[table] == manifest[table] for table in CHECKED_TABLES) and as_of == manifest_as_of
    return {"publication_id": publication_id, "consistent": consistent, "customers": counts[CHECKED_TABLES[0]]}


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
