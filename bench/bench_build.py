"""Time ingest, dbt build (which publishes) and publish alone; print rows/s and peak memory per step.

Each step runs as its own `retail` process; its peak resident memory comes from
the kernel's accounting for that child (os.wait4), so the numbers are per step.

    uv run python bench/bench_build.py                       # demo 500k rows + real data
    uv run python bench/bench_build.py --rows 50000000 --format parquet --skip-real
    uv run python bench/bench_build.py --rows 50000000 --steps generate --skip-real
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
REAL_DATA = PROJECT_DIR.parent / "shared" / "data" / "online_retail.csv.gz"
RETAIL = Path(sys.executable).parent / "retail"
STEPS = ("generate", "ingest", "build", "publish", "append")


@dataclass(frozen=True)
class Measurement:
    dataset: str
    step: str
    rows: int
    seconds: float
    peak_mb: float


def measure(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Run one command; return (wall seconds, peak RSS in MB of that process)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        stderr = process.stderr.read().decode() if process.stderr else ""
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{stderr[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024


def file_row_count(path: Path) -> int:
    import duckdb

    reader = "read_parquet" if path.suffix == ".parquet" else "read_csv"
    con = duckdb.connect()
    try:
        row = con.execute(f"select count(*) from {reader}('{path}')").fetchone()
    finally:
        con.close()
    return int(row[0]) if row else 0


def count(database: Path, sql: str) -> int:
    """One integer from a read-only query on a DuckDB file."""
    import duckdb

    con = duckdb.connect(str(database), read_only=True)
    try:
        row = con.execute(sql).fetchone()
    finally:
        con.close()
    return int(row[0]) if row and row[0] is not None else 0


def raw_row_count(warehouse: Path) -> int:
    return count(warehouse, "select count(*) from raw.transactions")


def published_row_count(published: Path) -> int:
    return count(published, "select sum(row_count) from reporting.publication")


def bench_dataset(
    name: str, source: Path | None, rows: int, fmt: str, steps: tuple[str, ...], workdir: Path
) -> list[Measurement]:
    warehouse = workdir / name / "retail.duckdb"
    warehouse.parent.mkdir(parents=True)
    env = {
        **os.environ,
        "RETAIL_WAREHOUSE": str(warehouse),
        "DBT_TARGET_PATH": str(workdir / name / "target"),
        "DBT_LOG_PATH": str(workdir / name / "logs"),
        "RETAIL_REPORTS_DIR": str(workdir / name / "reports"),
    }
    results: list[Measurement] = []
    if source is None:
        source = workdir / name / f"demo.{fmt}"
        if "generate" in steps:
            seconds, peak = measure([str(RETAIL), "demo-data", "--rows", str(rows), "--out", str(source)], env)
            results.append(Measurement(name, "generate", file_row_count(source), seconds, peak))
    if "ingest" in steps:
        seconds, peak = measure([str(RETAIL), "ingest", str(source)], env)
        loaded = raw_row_count(warehouse)
        results.append(Measurement(name, "ingest", loaded, seconds, peak))
    if "build" in steps:
        seconds, peak = measure([str(RETAIL), "build"], env)
        results.append(Measurement(name, "dbt build", raw_row_count(warehouse), seconds, peak))
    if "publish" in steps:
        # Included in the build above; alone: the copy for readers plus the strategic report.
        seconds, peak = measure([str(RETAIL), "publish"], env)
        published = warehouse.parent / "published" / warehouse.name
        results.append(Measurement(name, "publish", published_row_count(published), seconds, peak))
    if "append" in steps:
        # A scheduled day: a batch of 1% of the rows (another seed, so dates overlap: late rows), then the
        # incremental build; compare with the full build above.
        batch = workdir / name / f"batch.{fmt}"
        batch_rows = max(1_000, raw_row_count(warehouse) // 100)
        measure([str(RETAIL), "demo-data", "--rows", str(batch_rows), "--seed", "7", "--out", str(batch)], env)
        seconds, peak = measure([str(RETAIL), "ingest", "--append", str(batch)], env)
        results.append(Measurement(name, "append 1%", file_row_count(batch), seconds, peak))
        seconds, peak = measure([str(RETAIL), "build"], env)
        results.append(Measurement(name, "incr build", raw_row_count(warehouse), seconds, peak))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--rows", type=int, default=500_000, help="demo data size (default 500k)")
    parser.add_argument("--format", choices=["csv.gz", "parquet"], default="csv.gz", help="demo data file format")
    parser.add_argument("--steps", default=",".join(STEPS), help=f"comma-separated subset of {','.join(STEPS)}")
    parser.add_argument("--skip-real", action="store_true", help="skip the real dataset")
    parser.add_argument("--real", type=Path, default=REAL_DATA, help="real dataset path")
    args = parser.parse_args()
    steps = tuple(step.strip() for step in args.steps.split(","))

    results: list[Measurement] = []
    with tempfile.TemporaryDirectory(prefix="retail-bench-") as tmp:
        workdir = Path(tmp)
        results += bench_dataset("demo", None, args.rows, args.format, steps, workdir)
        if not args.skip_real:
            if args.real.exists():
                results += bench_dataset("real", args.real, 0, args.format, steps, workdir)
            else:
                print(f"real dataset not found at {args.real}: skipped")

    print(f"{'dataset':<8} {'step':<10} {'rows':>12} {'seconds':>9} {'rows/s':>12} {'peak MB':>9}")
    for result in results:
        rate = result.rows / result.seconds if result.seconds else 0.0
        print(
            f"{result.dataset:<8} {result.step:<10} {result.rows:>12,} {result.seconds:>9.2f} "
            f"{rate:>12,.0f} {result.peak_mb:>9.0f}"
        )


if __name__ == "__main__":
    main()
