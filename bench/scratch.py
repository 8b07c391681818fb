"""What the real-data bench scripts share: the `retail` CLI run in a scratch warehouse loaded with a file."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
REAL_DATA = PROJECT_DIR.parent / "shared" / "data" / "online_retail.csv.gz"
RETAIL = Path(sys.executable).parent / "retail"


def run(args: list[str], env: dict[str, str]) -> str:
    """`retail ARGS` in ``env``; its stdout, or exit with its output on failure."""
    completed = subprocess.run([str(RETAIL), *args], env=env, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise SystemExit(f"retail {' '.join(args)} failed:\n{completed.stdout[-3000:]}\n{completed.stderr[-2000:]}")
    return completed.stdout


@contextmanager
def loaded_warehouse(data: Path, prefix: str) -> Iterator[tuple[Path, dict[str, str]]]:
    """A temporary folder with ``data`` ingested into its own warehouse (and MLflow store), and its env."""
    if not data.exists():
        raise SystemExit(f"real dataset not found at {data}")
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        env = {
            **os.environ,
            "RETAIL_WAREHOUSE": str(Path(tmp) / "retail.duckdb"),
            "DBT_TARGET_PATH": f"{tmp}/target",
            "DBT_LOG_PATH": f"{tmp}/logs",
        }
        env.pop("MLFLOW_TRACKING_URI", None)
        run(["ingest", str(data)], env)
        yield Path(tmp), env
