"""Loading a logged champion from its folder on local disk, without importing MLflow.

Importing ``mlflow.sklearn`` costs about 1.5 s of CPU, and a build that reuses
its champions paid it only to unpickle three small files. The models this
project logs are in two formats the MLmodel file describes: scikit-learn
objects pickled (``serialization_format`` pickle or cloudpickle) and XGBoost
estimators saved with their own ``save_model``. Those are loaded here the way
MLflow's flavors load them; anything else (a remote artifact store, skops, a
flavor or class not listed, ``MLFLOW_ALLOW_PICKLE_DESERIALIZATION`` turned off)
returns None and the caller loads through MLflow.
"""

from __future__ import annotations

import importlib
import os
import pickle
from pathlib import Path
from typing import Any

from models_py.errors import RetailError
from models_py.ml.registry_reader import local_folder

_PICKLE_FORMATS = frozenset({"pickle", "cloudpickle"})
_XGBOOST_CLASSES = frozenset({"xgboost.sklearn.XGBClassifier", "xgboost.sklearn.XGBRegressor"})
_FALSE = frozenset({"false", "0", "no"})


def load_local_model(source: str, flavor: str) -> Any | None:
    """The estimator saved at ``source`` in ``flavor`` (sklearn or xgboost), or None when MLflow must load it.

    A ``file:`` folder that is gone raises a RetailError saying so: the usual cause
    is a warehouse folder moved or copied after training (the registry keeps the
    absolute path it was trained at), which MLflow reports only as "No such artifact".
    """
    folder = local_folder(source)
    if folder is None or os.environ.get("MLFLOW_ALLOW_PICKLE_DESERIALIZATION", "").lower() in _FALSE:
        return None
    descriptor = folder / "MLmodel"
    if not descriptor.is_file():
        raise RetailError(
            f"the registered model's files are missing: {descriptor} does not exist. The model registry "
            "keeps the absolute folder a model was trained in, so a warehouse folder moved or copied after "
            "training points at the old place (new runs are logged there too): build in the original folder, "
            "or start a new warehouse where you want it (`retail ingest` your data, then `retail build`)"
        )
    import yaml  # dbt's dependency; only MLflow's own file format needs it

    config = (yaml.safe_load(descriptor.read_text()) or {}).get("flavors", {}).get(flavor)
    if not isinstance(config, dict):
        return None
    if flavor == "sklearn":
        return _unpickled(folder, config)
    if flavor == "xgboost":
        return _xgboost(folder, config)
    return None


def _unpickled(folder: Path, config: dict[str, Any]) -> Any | None:
    if config.get("serialization_format", "pickle") not in _PICKLE_FORMATS or not config.get("pickled_model"):
        return None
    # A cloudpickle file is a pickle whose reducers import cloudpickle themselves.
    with open(folder / str(config["pickled_model"]), "rb") as file:
        return pickle.load(file)


def _xgboost(folder: Path, config: dict[str, Any]) -> Any | None:
    model_class = str(config.get("model_class", ""))
    if model_class not in _XGBOOST_CLASSES or not config.get("data"):
        return None
    module, _, name = model_class.rpartition(".")
    estimator = getattr(importlib.import_module(module), name)()
    estimator.load_model(str(folder / str(config["data"])))
    return estimator
