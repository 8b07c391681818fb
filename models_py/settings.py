"""The one settings object: where the project and the warehouse live, ingest tolerances.

Business parameters (as_of_date, horizons) are dbt vars in ``dbt_project.yml``;
this object holds only what the Python side needs to find and load things.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from models_py.errors import RetailError

PROJECT_DIR_ENV = "RETAIL_PROJECT_DIR"
WAREHOUSE_ENV = "RETAIL_WAREHOUSE"
MAX_BAD_SHARE_ENV = "RETAIL_MAX_BAD_SHARE"
MEMORY_LIMIT_ENV = "RETAIL_DUCKDB_MEMORY_LIMIT"
TRACKING_URI_ENV = "MLFLOW_TRACKING_URI"
PUBLISHED_ENV = "RETAIL_PUBLISHED_WAREHOUSE"
REPORTS_DIR_ENV = "RETAIL_REPORTS_DIR"
API_KEY_ENV = "RETAIL_API_KEY"
UPLOAD_LIMIT_ENV = "RETAIL_UPLOAD_LIMIT_MB"
RAW_PARQUET_ENV = "RETAIL_RAW_PARQUET"
# The feature cutoff of one build (macro as_of_date): an env var, not a dbt var, because
# dbt re-parses the whole project whenever its vars change and only the files that
# read an env var when that changes.
AS_OF_DATE_ENV = "RETAIL_AS_OF_DATE"
SPARK_DIR_ENV = "RETAIL_SPARK_DIR"
# dbt's own variable. dbt writes every event at debug level to logs/dbt.log by default
# (each statement's SQL, timings): about 2 ms of a build's time per node, 0.5 s of a
# 10 s build at 1x. Info keeps what a failure needs (errors, compiled-code paths, results).
FILE_LOG_LEVEL_ENV = "DBT_LOG_LEVEL_FILE"
DEFAULT_FILE_LOG_LEVEL = "info"
DEFAULT_UPLOAD_LIMIT_MB = 200
# DuckDB's own default is 80% of RAM; at 50M rows a build then takes ~19 GB.
# Within this budget it spills to warehouse/*.tmp instead. profiles.yml has the same default.
DEFAULT_MEMORY_LIMIT = "6GB"
DEFAULT_WAREHOUSE = Path("warehouse") / "retail.duckdb"


def project_var(project_dir: Path, name: str) -> object:
    """A dbt var's default from ``dbt_project.yml`` (for Python code that plans builds)."""
    import yaml

    variables = yaml.safe_load((project_dir / "dbt_project.yml").read_text()).get("vars", {})
    if name not in variables:
        raise RetailError(f"dbt var {name} is not set in {project_dir / 'dbt_project.yml'}")
    return variables[name]


def _path(value: str | None, project_dir: Path, default: Path) -> Path:
    """A path from the environment (relative ones against the project), else the default."""
    if not value:
        return default
    path = Path(value)
    return path if path.is_absolute() else project_dir / path


def default_published_path(warehouse_path: Path) -> Path:
    """``published/<warehouse file name>`` beside the warehouse: same stem, so the catalog name dbt compiles to."""
    return warehouse_path.parent / "published" / warehouse_path.name


def _default_project_dir() -> Path:
    # models_py sits at the repo root next to dbt_project.yml.
    return Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    """Paths and ingest tolerances, read once from the environment.

    Attributes
    ----------
    project_dir:
        Folder holding ``dbt_project.yml`` and ``profiles.yml``.
    warehouse_path:
        The DuckDB file dbt builds and ``retail ingest`` loads into.
    max_bad_share:
        Largest share of rows whose date or numbers may fail to parse before a
        load is refused (the rows are kept in raw with a reason either way).
    memory_limit:
        Memory budget of a process (e.g. ``6GB``), for ingest and dbt: DuckDB gets 75% of it
        (``warehouse.DUCKDB_SHARE``) and spills to disk beyond that.
    tracking_uri:
        MLflow store: ``MLFLOW_TRACKING_URI``, else a SQLite file beside the warehouse.
    published_path:
        The read-only copy for BI tools, the API and Evidence (``RETAIL_PUBLISHED_WAREHOUSE``,
        else ``published/<warehouse file name>`` beside the warehouse: same stem, so the
        same catalog name as in dbt's compiled SQL).
    reports_dir:
        Where the strategic report is written (``RETAIL_REPORTS_DIR``, else ``reports/``).
    api_key:
        When set (``RETAIL_API_KEY``), the scoring API answers only requests carrying it.
    upload_limit_mb:
        Largest file the dashboard accepts for upload (``RETAIL_UPLOAD_LIMIT_MB``, else 200).
    raw_parquet_path:
        Where ``retail export-raw`` writes the raw tables for the Spark target
        (``RETAIL_RAW_PARQUET``, else ``raw_parquet/`` beside the warehouse).
    spark_dir:
        The local Spark session's tables and metastore (``RETAIL_SPARK_DIR``, else
        ``spark/`` beside the warehouse).
    file_log_level:
        What dbt writes to ``logs/dbt.log`` (``DBT_LOG_LEVEL_FILE``, else ``info``; ``debug``
        adds every statement dbt runs).
    """

    project_dir: Path
    warehouse_path: Path
    max_bad_share: float = 0.01
    memory_limit: str = DEFAULT_MEMORY_LIMIT
    tracking_uri: str = ""
    published_path: Path = Path()
    reports_dir: Path = Path()
    api_key: str | None = None
    upload_limit_mb: int = DEFAULT_UPLOAD_LIMIT_MB
    raw_parquet_path: Path = Path()
    spark_dir: Path = Path()
    file_log_level: str = DEFAULT_FILE_LOG_LEVEL

    @property
    def demo_data_path(self) -> Path:
        return self.warehouse_path.parent / "demo" / "online_retail_demo.csv.gz"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        project_dir = Path(env.get(PROJECT_DIR_ENV) or _default_project_dir()).resolve()
        warehouse = _path(env.get(WAREHOUSE_ENV), project_dir, project_dir / DEFAULT_WAREHOUSE)
        try:
            max_bad_share = float(env.get(MAX_BAD_SHARE_ENV, "0.01"))
        except ValueError:
            raise RetailError(
                f"{MAX_BAD_SHARE_ENV} must be a number between 0 and 1, got {env[MAX_BAD_SHARE_ENV]!r}"
            ) from None
        try:
            upload_limit_mb = int(env.get(UPLOAD_LIMIT_ENV) or DEFAULT_UPLOAD_LIMIT_MB)
        except ValueError:
            raise RetailError(
                f"{UPLOAD_LIMIT_ENV} must be a whole number of megabytes, got {env[UPLOAD_LIMIT_ENV]!r}"
            ) from None
        return cls(
            project_dir=project_dir,
            warehouse_path=warehouse,
            max_bad_share=max_bad_share,
            memory_limit=env.get(MEMORY_LIMIT_ENV) or DEFAULT_MEMORY_LIMIT,
            tracking_uri=env.get(TRACKING_URI_ENV) or f"sqlite:///{warehouse.parent / 'mlflow.db'}",
            published_path=_path(env.get(PUBLISHED_ENV), project_dir, default_published_path(warehouse)),
            reports_dir=_path(env.get(REPORTS_DIR_ENV), project_dir, project_dir / "reports"),
            api_key=env.get(API_KEY_ENV) or None,
            upload_limit_mb=upload_limit_mb,
            raw_parquet_path=_path(env.get(RAW_PARQUET_ENV), project_dir, warehouse.parent / "raw_parquet"),
            spark_dir=_path(env.get(SPARK_DIR_ENV), project_dir, warehouse.parent / "spark"),
            file_log_level=env.get(FILE_LOG_LEVEL_ENV) or DEFAULT_FILE_LOG_LEVEL,
        )

    def dbt_env(self) -> dict[str, str]:
        """Environment for a dbt process: profiles.yml reads the warehouse path from it."""
        return {
            WAREHOUSE_ENV: str(self.warehouse_path),
            MEMORY_LIMIT_ENV: self.memory_limit,
            TRACKING_URI_ENV: self.tracking_uri,
            # The publication node writes where the readers look.
            PUBLISHED_ENV: str(self.published_path),
            # Absolute: `retail dbt --target spark` runs from the warehouse folder.
            RAW_PARQUET_ENV: str(self.raw_parquet_path),
            SPARK_DIR_ENV: str(self.spark_dir),
            FILE_LOG_LEVEL_ENV: self.file_log_level,
        }
