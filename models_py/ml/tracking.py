"""MLflow tracking: the only module that imports mlflow.

Uses an explicit MlflowClient per call (no global tracking URI or active run),
because several dbt Python models may train at once in one process. Metric
names are ``<split>/<model>/<metric>`` so ``ml.model_metrics`` can split them.
Reads of a local SQLite store go through ``registry_reader`` first: a build that
reuses its champions then never opens MLflow's SQLAlchemy store.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from models_py.errors import RetailError
from models_py.ml.model_reader import load_local_model
from models_py.ml.registry_reader import SQLITE_PREFIX, StoredVersion, open_store, sqlite_path
from models_py.ml.retraining import Champion

_MAX_PARAM_LENGTH = 500
# Warnings we act on already: the requirements are passed explicitly (pip is
# not in a uv venv), and cloudpickle is chosen on purpose (see log_model).
for _logger in ("mlflow.utils.environment", "mlflow.sklearn"):
    logging.getLogger(_logger).setLevel(logging.ERROR)
CHAMPION_ALIAS = "champion"


def registered_model_name(family: str) -> str:
    return f"retail_retention_{family}"


@dataclass(frozen=True)
class TrackedRun:
    client: Any
    run_id: str

    def log_params(self, params: Mapping[str, object]) -> None:
        from mlflow.entities import Param

        self.client.log_batch(
            self.run_id,
            params=[Param(key, str(value)[:_MAX_PARAM_LENGTH]) for key, value in sorted(params.items())],
        )

    def log_metrics(self, split: str, model: str, metrics: Mapping[str, float]) -> None:
        from mlflow.entities import Metric

        self.client.log_batch(
            self.run_id,
            metrics=[Metric(f"{split}/{model}/{name}", float(value), 0, 0) for name, value in sorted(metrics.items())],
        )

    def log_table(self, name: str, table: pd.DataFrame) -> None:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"{name}.csv"
            table.to_csv(path, index=False)
            self.client.log_artifact(self.run_id, str(path))

    def log_json(self, name: str, content: object) -> None:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"{name}.json"
            path.write_text(json.dumps(content, indent=2, sort_keys=True, default=str))
            self.client.log_artifact(self.run_id, str(path))

    def log_model(
        self,
        model: object,
        flavor: str,
        example: pd.DataFrame,
        *,
        method: str = "predict",
        artifact_path: str = "model",
    ) -> None:
        """Save as an MLflow model with a signature inferred from ``method``, under ``artifact_path``."""
        from importlib.metadata import version

        import mlflow.sklearn
        import mlflow.xgboost
        from mlflow.models import infer_signature

        signature = infer_signature(example, getattr(model, method)(example))
        saver = mlflow.xgboost.save_model if flavor == "xgboost" else mlflow.sklearn.save_model
        with tempfile.TemporaryDirectory() as folder:
            target = Path(folder) / "model"
            # Explicit requirements: inferring them shells out to `uv export` on every save.
            requirements = [f"{name}=={version(name)}" for name in ("scikit-learn", "xgboost-cpu", "pandas")]
            # cloudpickle: skops refuses to load the numpy functions in the segment transform.
            options = {} if flavor == "xgboost" else {"serialization_format": "cloudpickle"}
            saver(
                model,
                str(target),
                signature=signature,
                input_example=example.head(5),
                pip_requirements=requirements,
                **options,
            )
            self.client.log_artifacts(self.run_id, str(target), artifact_path)

    def register(
        self, family: str, *, as_of_date: str, reference_cutoff: str, config_fingerprint: str, promote: bool
    ) -> int:
        """Register the run's ``model`` artifact as a new version; with ``promote`` it becomes the champion.

        The tags are what ``champion()`` reads back: when it was trained, the
        cutoff of the snapshot it was refitted on, and its settings' fingerprint.
        """
        tags = {
            "as_of_date": as_of_date,
            "reference_cutoff": reference_cutoff,
            "config_fingerprint": config_fingerprint,
        }
        from mlflow.exceptions import MlflowException

        name = registered_model_name(family)
        try:
            self.client.get_registered_model(name)
        except MlflowException:
            self.client.create_registered_model(name)
        source = f"{self.client.get_run(self.run_id).info.artifact_uri}/model"
        version = self.client.create_model_version(name, source, run_id=self.run_id, tags=tags)
        if promote:
            self.client.set_registered_model_alias(name, CHAMPION_ALIAS, version.version)
        return int(version.version)


CACHE_DIR_ENV = "XDG_CACHE_HOME"


def _client(tracking_uri: str) -> Any:
    """An MlflowClient; a new SQLite store starts as a copy of an empty, migrated one.

    Creating a SQLite store runs MLflow's schema migrations, about 10 s of CPU on
    this kind of machine; every fresh warehouse (first build, each backtest date,
    each replay) would pay them. An empty store migrated once per MLflow version is
    kept in the user's cache folder and copied instead.
    """
    from mlflow.tracking import MlflowClient

    store = sqlite_path(tracking_uri)
    if store is not None and not store.exists():
        _copy_empty_store(store)
    return MlflowClient(tracking_uri=tracking_uri)


def _copy_empty_store(store: Path) -> None:
    import os
    import shutil
    import threading

    import mlflow

    cache = Path(os.environ.get(CACHE_DIR_ENV) or Path.home() / ".cache") / "retail-retention"
    template = cache / f"mlflow-{mlflow.__version__}-empty.db"
    try:
        if not template.exists():
            cache.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(dir=cache) as folder:
                fresh = Path(folder) / "empty.db"
                from mlflow.tracking import MlflowClient

                MlflowClient(tracking_uri=f"{SQLITE_PREFIX}{fresh}").search_experiments()
                os.replace(fresh, template)  # atomic: concurrent builds each see a whole template
        store.parent.mkdir(parents=True, exist_ok=True)
        partial = store.with_name(f".{store.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        shutil.copyfile(template, partial)
        try:
            # A hard link never replaces: a store another thread or process created meanwhile is kept.
            os.link(partial, store)
        finally:
            partial.unlink()
    except OSError:
        return  # no cache folder to write, or the store appeared meanwhile: MLflow opens or creates it


def artifact_location(tracking_uri: str) -> str | None:
    """Artifacts beside a SQLite store (``<folder>/mlartifacts``), not in ./mlruns of the working directory."""
    store = sqlite_path(tracking_uri)
    if store is None:
        return None  # a tracking server decides
    folder = store.resolve().parent
    return (folder / "mlartifacts").as_uri()


@contextmanager
def start_run(tracking_uri: str, experiment: str, run_name: str) -> Iterator[TrackedRun]:
    """A finished (or failed) MLflow run in ``experiment``."""
    client = _client(tracking_uri)
    existing = client.get_experiment_by_name(experiment)
    experiment_id = (
        existing.experiment_id
        if existing
        else client.create_experiment(experiment, artifact_location=artifact_location(tracking_uri))
    )
    run = client.create_run(experiment_id, run_name=run_name)
    try:
        yield TrackedRun(client, run.info.run_id)
    except BaseException:
        client.set_terminated(run.info.run_id, status="FAILED")
        raise
    client.set_terminated(run.info.run_id, status="FINISHED")


def model_metrics_table(scores: list[pd.DataFrame], tracking_uri: str) -> pd.DataFrame:
    """``ml.model_metrics``: every metric of the runs that produced the given score tables.

    One row per run, model, metric and split; ``model_family`` is the MLflow experiment.
    """
    rows = []
    runs = sorted(
        {
            (run_id, as_of)
            for frame in scores
            for run_id, as_of in zip(frame["model_run_id"], frame["as_of_date"], strict=True)
        }
    )
    for run_id, as_of_date in runs:
        family, metrics = _run_metrics(tracking_uri, run_id)
        for key, value in sorted(metrics.items()):
            split, model, metric = [*key.split("/", 2), "", ""][:3]
            rows.append((run_id, family, model, metric, split, float(value), as_of_date))
    frame = pd.DataFrame(
        rows, columns=["model_run_id", "model_family", "model_name", "metric", "split", "value", "as_of_date"]
    )
    return frame.astype(
        {
            "model_run_id": "string",
            "model_family": "string",
            "model_name": "string",
            "metric": "string",
            "split": "string",
            "value": "float64",
            "as_of_date": "date32[pyarrow]",
        }
    )


def _run_metrics(tracking_uri: str, run_id: str) -> tuple[str, dict[str, float]]:
    """(experiment name, latest value of each metric) of a run."""
    with open_store(tracking_uri) as store:
        found = store.run_metrics(run_id) if store else None
    if found is not None:
        return found
    client = _client(tracking_uri)
    run = client.get_run(run_id)
    return client.get_experiment(run.info.experiment_id).name, dict(run.data.metrics)


def champion(tracking_uri: str, family: str) -> Champion | None:
    """The version of ``family`` under the champion alias, if one is registered."""
    store_file = sqlite_path(tracking_uri)
    if store_file is not None and not store_file.exists():
        # A local store not created yet holds no champion. Creating it here (0.6 s) delayed the
        # retraining plan, which every training model waits for; the first model to log creates it.
        return None
    with open_store(tracking_uri) as store:
        if store is not None:
            stored = store.version_by_alias(registered_model_name(family), CHAMPION_ALIAS)
            return _stored(family, stored) if stored else None
    from mlflow.exceptions import MlflowException

    client = _client(tracking_uri)
    try:
        version = client.get_model_version_by_alias(registered_model_name(family), CHAMPION_ALIAS)
    except MlflowException:
        return None
    return _registered(family, version)


def registered_version(tracking_uri: str, family: str, version: int) -> Champion:
    """One registered version of ``family`` (e.g. the one that scored a published build)."""
    missing = RetailError(
        f"model {registered_model_name(family)} version {version} is not in the MLflow store {tracking_uri}; "
        "set MLFLOW_TRACKING_URI to the store the build logged to"
    )
    with open_store(tracking_uri) as store:
        if store is not None:
            stored = store.version_by_number(registered_model_name(family), version)
            if stored is None:
                raise missing
            return _stored(family, stored)
    from mlflow.exceptions import MlflowException

    try:
        found = _client(tracking_uri).get_model_version(registered_model_name(family), str(version))
    except MlflowException:
        raise missing from None
    return _registered(family, found)


def _registered(family: str, version: Any) -> Champion:
    """A registered version as MLflow's client returns it."""
    return _stored(family, StoredVersion(int(version.version), str(version.run_id), str(version.source), version.tags))


def _stored(family: str, version: StoredVersion) -> Champion:
    tags = version.tags
    return Champion(
        family=family,
        version=version.version,
        run_id=version.run_id,
        source=version.source,
        as_of_date=tags.get("as_of_date", ""),
        reference_cutoff=tags.get("reference_cutoff", ""),
        config_fingerprint=tags.get("config_fingerprint", ""),
    )


def load_model(model: Champion, flavor: str, *, artifact: str = "model") -> Any:
    """The champion's fitted estimator (sklearn or xgboost flavor), or another model its run logged."""
    source = model.source if artifact == "model" else f"{model.source.rsplit('/', 1)[0]}/{artifact}"
    local = load_local_model(source, flavor)
    if local is not None:
        return local
    if flavor == "xgboost":
        import mlflow.xgboost

        return mlflow.xgboost.load_model(source)
    import mlflow.sklearn

    return mlflow.sklearn.load_model(source)


def run_params(tracking_uri: str, run_id: str) -> dict[str, str]:
    with open_store(tracking_uri) as store:
        if store is not None:
            return store.run_params(run_id)
    return dict(_client(tracking_uri).get_run(run_id).data.params)


def run_json(tracking_uri: str, run_id: str, name: str) -> Any | None:
    """The JSON artifact ``name`` of one run, or None when the run has none."""
    with open_store(tracking_uri) as store:
        local = store.artifact_folder(run_id) if store else None
    if local is not None:
        artifact = local / f"{name}.json"
        return json.loads(artifact.read_text()) if artifact.is_file() else None
    client = _client(tracking_uri)
    with tempfile.TemporaryDirectory() as folder:
        try:
            path = client.download_artifacts(run_id, f"{name}.json", folder)
        except Exception:  # an older run without the artifact
            return None
        return json.loads(Path(path).read_text())
