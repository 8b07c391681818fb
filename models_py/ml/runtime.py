"""The ML runtime of a build: the libraries its Python models train and score with, imported up front.

The first Python model of a build imported scikit-learn, SciPy, XGBoost and MLflow: about
2 s on the path every training model waits for (retraining_plan needs MLflow, the others
wait for it). The dbt model ``ml_runtime`` reads no other model, so dbt starts it with the
SQL layer and imports them there, beside the SQL work; the ML models ref it and run after
it, so no two threads import one package at once. Its rows record which versions built
the models.
"""

from __future__ import annotations

import importlib
import sys
from importlib.metadata import PackageNotFoundError, version

import pandas as pd

from models_py.ml.registry_reader import sqlite_path

# The project's ML modules: between them every library a Python model computes with.
MODEL_MODULES = (
    "models_py.ml.churn",
    "models_py.ml.ltv",
    "models_py.ml.purchase_forecast",
    "models_py.ml.retraining",
    "models_py.ml.segmentation",
    "models_py.ml.threads",
)
# What a training build logs and registers with (imported late by models_py.ml.tracking).
TRACKING_MODULES = ("mlflow.tracking", "mlflow.sklearn", "mlflow.xgboost", "mlflow.models")
# A local SQLite store is opened through MLflow's SQLAlchemy store: importing it (its ORM tables)
# took 0.6-1 s in the first model that logged, customer_segments at 1x, on the path to the end.
SQL_STORE_MODULE = "mlflow.store.tracking.sqlalchemy_store"
# library -> the distributions it may be installed as, the first found reported.
LIBRARIES = {
    "numpy": ("numpy",),
    "pandas": ("pandas",),
    "scipy": ("scipy",),
    "scikit-learn": ("scikit-learn",),
    "xgboost": ("xgboost-cpu", "xgboost"),
    "threadpoolctl": ("threadpoolctl",),
    "mlflow": ("mlflow", "mlflow-skinny"),
}


def tracking_likely(tracking_uri: str, retrain_policy: str, force_retrain: bool) -> bool:
    """Whether this build will probably log to MLflow (or read through its client): worth importing it up
    front. Not for a local store that exists when the policy may keep the champions: those builds read
    the store with sqlite3 (``registry_reader``) and import MLflow only if a family retrains."""
    store = sqlite_path(tracking_uri)
    return force_retrain or retrain_policy == "always" or store is None or not store.exists()


def tracking_modules(tracking_uri: str) -> tuple[str, ...]:
    """The MLflow modules a build that logs to ``tracking_uri`` imports."""
    return TRACKING_MODULES + ((SQL_STORE_MODULE,) if sqlite_path(tracking_uri) is not None else ())


def load_runtime(*, with_tracking: bool, tracking_uri: str = "") -> pd.DataFrame:
    """Import the ML modules (and, ``with_tracking``, what logging to ``tracking_uri`` needs); one row per
    library and its version."""
    for module in MODEL_MODULES + (tracking_modules(tracking_uri) if with_tracking else ()):
        importlib.import_module(module)
    rows: list[tuple[str, str | None]] = [("python", sys.version.split()[0])]
    for library, distributions in LIBRARIES.items():
        rows.append((library, _installed_version(distributions)))
    return pd.DataFrame(rows, columns=["library", "version"]).astype("string")


def _installed_version(distributions: tuple[str, ...]) -> str | None:
    for distribution in distributions:
        try:
            return version(distribution)
        except PackageNotFoundError:
            continue
    return None
