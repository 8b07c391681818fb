"""The SQL layer on DuckDB and on a local Spark session: wall time and peak memory side by side.

Needs the spark extra and a Java 17 runtime; `uv run --extra spark` installs the
extra, which `bench/run` (an exact `uv sync` without it) removes. For each
size it reuses the dataset `bench/run` made (run that first), ingests it into a
fresh warehouse, exports the raw tables as Parquet, then builds the `sql_layer`
selector (seeds, staging, intermediate, marts and their tests) with plain dbt on
each target, and writes bench/spark_results.md.

    uv run --extra spark python bench/bench_spark.py [--sizes 1,10]
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
from pathlib import Path

from scale import GB, PROJECT_DIR, REAL_DATA, RETAIL, make_dataset, measure, reader

DBT = RETAIL.parent / "dbt"


def bench_size(size: int, workdir: Path) -> list[tuple[str, float, float]]:
    folder = workdir / f"spark-{size}x"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    data = make_dataset(REAL_DATA, size, workdir)
    env = {
        **os.environ,
        "RETAIL_WAREHOUSE": str(folder / "warehouse" / "retail.duckdb"),
        "RETAIL_RAW_PARQUET": str(folder / "raw_parquet"),
        "RETAIL_SPARK_DIR": str(folder / "spark"),
    }
    log = folder / "output.log"
    measure([str(RETAIL), "ingest", str(data)], env, log)
    measure([str(RETAIL), "export-raw"], env, log)
    rows: list[tuple[str, float, float]] = []
    for target in ("dev", "spark"):
        command = [
            str(DBT),
            "build",
            "--target",
            target,
            "--selector",
            "sql_layer",
            "--project-dir",
            str(PROJECT_DIR),
            "--profiles-dir",
            str(PROJECT_DIR),
            "--target-path",
            str(folder / target / "target"),
            "--log-path",
            str(folder / target / "logs"),
        ]
        seconds, peak = measure(command, env, log)
        rows.append(("DuckDB" if target == "dev" else "Spark (local session)", seconds, peak / GB))
        print(f"{size}x {target}: {seconds:.0f} s, peak {peak / GB:.2f} GB ({reader(data)})", flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1,10")
    parser.add_argument("--workdir", type=Path, default=PROJECT_DIR / "warehouse" / "bench")
    parser.add_argument("--out", type=Path, default=PROJECT_DIR / "bench" / "spark_results.md")
    args = parser.parse_args()
    lines = [
        "# The SQL layer (`--selector sql_layer`) on DuckDB and on Spark",
        "",
        f"Run by `bench/bench_spark.py` from {time.strftime('%Y-%m-%d %H:%M')}; same machine as results.md. "
        "Wall seconds of `dbt build` and the peak resident memory of its process tree (the Spark JVM included).",
        "",
        "| size | engine | wall s | peak GB |",
        "|---|---|---|---|",
    ]
    for size in (int(size) for size in args.sizes.split(",")):
        for engine, seconds, peak in bench_size(size, args.workdir):
            lines.append(f"| {size}x | {engine} | {seconds:.0f} | {peak:.2f} |")
    args.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
