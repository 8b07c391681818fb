"""The SQL layer on Spark gives what it gives on DuckDB, from the same raw rows.

Demo data is loaded with `retail ingest`, exported with `retail export-raw`, and
the `sql_layer` selector is built on both targets with plain dbt, as a user runs
it. Spark writes its tables as Parquet under its warehouse folder; DuckDB reads
them back, so the comparison needs no second Spark session.

Skipped with a message without Java or PySpark (`uv sync --extra spark`, Debian's
openjdk-17-jre-headless), unless RETAIL_REQUIRE_SPARK=1 (set in .ci/run).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.python.conftest import PROJECT_DIR, Workspace, make_workspace

REQUIRE_SPARK_ENV = "RETAIL_REQUIRE_SPARK"
FEATURE_KEY = "customer_id"


def _require_spark() -> None:
    missing = [
        what
        for what, present in (
            ("PySpark and dbt-spark (uv sync --extra spark)", importlib.util.find_spec("pyspark") is not None),
            ("a Java runtime (apt-get install openjdk-17-jre-headless)", shutil.which("java") is not None),
        )
        if not present
    ]
    if not missing:
        return
    message = f"Spark test needs {' and '.join(missing)}"
    if os.environ.get(REQUIRE_SPARK_ENV) == "1":
        pytest.fail(f"{message}; {REQUIRE_SPARK_ENV}=1 makes this a failure")
    pytest.skip(message)


def _dbt_sql_layer(workspace: Workspace, target: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Plain dbt on the workspace's warehouse (``env`` on top of its environment)."""
    folder = workspace.root / target
    command, plain_env = workspace.dbt_invocation(
        *("build", "--target", target, "--selector", "sql_layer"),
        *("--target-path", str(folder / "target"), "--log-path", str(folder / "logs")),
    )
    return subprocess.run(
        command, env={**plain_env, **env}, cwd=PROJECT_DIR, capture_output=True, text=True, check=False
    )


@pytest.fixture(scope="module")
def both_engines(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, Path]:
    """One demo load built by the sql_layer selector on DuckDB and on Spark; the Spark table folder."""
    _require_spark()
    workspace = make_workspace(tmp_path_factory.mktemp("spark"))
    data = workspace.root / "demo.csv.gz"
    workspace.run("demo-data", "--rows", "8000", "--customers", "400", "--out", data, check=True)
    workspace.run("ingest", data, check=True)
    parquet = workspace.root / "raw_parquet"
    workspace.run("export-raw", "--out", parquet, check=True)
    spark_dir = workspace.root / "spark"
    env = {"RETAIL_RAW_PARQUET": str(parquet)}
    duck = _dbt_sql_layer(workspace, "dev", env)
    assert duck.returncode == 0, duck.stdout[-4000:]
    # A 90-second JVM on small data: the JIT's optimizing compiler and the parallel GC cost
    # more CPU than they save (about a fifth of this build's, docs/scale-out.md). Without the
    # optimizing compiler the JVM reserves 48 MB of code cache instead of 240: in CI, beside the
    # other workers, it ran out ("Out of space in CodeCache") and Spark shut down mid-build.
    short_jvm = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:ReservedCodeCacheSize=240m"
    spark = _dbt_sql_layer(
        workspace, "spark", {**env, "RETAIL_SPARK_DIR": str(spark_dir), "RETAIL_SPARK_JAVA_OPTIONS": short_jvm}
    )
    # stderr holds the JVM's own messages (why a SparkContext shut down), stdout dbt's.
    assert spark.returncode == 0, spark.stdout[-6000:] + "\n--- stderr ---\n" + spark.stderr[-4000:]
    assert "ERROR=0" in spark.stdout and "PASS=" in spark.stdout, spark.stdout[-3000:]
    return workspace, spark_dir / "tables"


def _duckdb_table(workspace: Workspace, table: str) -> pd.DataFrame:
    """The table, with ``attrs["scales"]``: the scale of each DECIMAL column (pandas gets them as floats)."""
    con = duckdb.connect(str(workspace.warehouse), read_only=True)
    try:
        frame = con.execute(f"select * from {table}").df()
        types = con.execute(f"describe {table}").fetchall()
    finally:
        con.close()
    frame.attrs["scales"] = {
        name: int(match.group(1)) for name, kind, *_ in types if (match := re.search(r"DECIMAL\(\d+,(\d+)\)", kind))
    }
    return frame


def _spark_table(tables: Path, table: str) -> pd.DataFrame:
    schema, name = table.split(".")
    folder = tables / f"{schema}.db" / name
    files = sorted(str(path) for path in folder.glob("part-*"))
    assert files, f"no Parquet files in {folder}: Spark did not write {table}"
    con = duckdb.connect()
    try:
        return con.execute("select * from read_parquet(?)", [files]).df()
    finally:
        con.close()


def _same_values(duck: pd.DataFrame, spark: pd.DataFrame, key: list[str]) -> None:
    """Every column equal: text exactly, floats to float noise, decimals to one unit of their last place
    (both engines compute in double precision before the cast, and a tie may round either way)."""
    assert list(spark.columns) == list(duck.columns)
    assert len(spark) == len(duck)
    scales = duck.attrs.get("scales", {})
    duck = duck.sort_values(key).reset_index(drop=True)
    spark = spark.sort_values(key).reset_index(drop=True)
    for column in duck.columns:
        left, right = duck[column], spark[column]
        if pd.api.types.is_numeric_dtype(left) and not pd.api.types.is_bool_dtype(left):
            # 1.5 units: the difference of two floats one unit apart is a float too.
            tolerance = 1.5 * 10.0 ** -scales[column] if column in scales else 1e-9
            pd.testing.assert_series_equal(
                left.astype(float), right.astype(float), check_names=False, rtol=0, atol=tolerance, obj=column
            )
        else:
            pd.testing.assert_series_equal(
                left.astype(str), right.astype(str), check_names=False, obj=column, check_dtype=False
            )


@pytest.mark.spark
def test_spark_sql_layer_matches_duckdb(both_engines: tuple[Workspace, Path]) -> None:
    workspace, tables = both_engines

    _same_values(
        _duckdb_table(workspace, "marts.data_quality"), _spark_table(tables, "marts.data_quality"), ["rule_order"]
    )
    assert len(_spark_table(tables, "marts.fct_orders")) == len(_duckdb_table(workspace, "marts.fct_orders"))
    features = _duckdb_table(workspace, "marts.customer_features")
    assert len(features) > 100
    _same_values(features, _spark_table(tables, "marts.customer_features"), [FEATURE_KEY])
