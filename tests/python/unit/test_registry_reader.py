"""Reads of a local MLflow store without the client give what MLflow's client gives."""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from models_py.errors import RetailError
from models_py.ml import registry_reader, tracking

FAMILY = "churn"


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, list[str]]:
    """A store written by MLflow's client: three versions (the second the champion, the
    third deleted), params, metrics (one NaN, one logged twice) and a JSON artifact."""
    monkeypatch.setenv(tracking.CACHE_DIR_ENV, str(tmp_path / "cache"))
    uri = f"sqlite:///{tmp_path / 'warehouse' / 'mlflow.db'}"
    runs = []
    for number in range(3):
        with tracking.start_run(uri, FAMILY, f"run {number}") as run:
            run.log_params({"k": number, "updates_since_refit": 2 * number})
            run.log_metrics("validation", "xgboost", {"roc_auc": 0.5 + number / 10, "brier": math.nan})
            run.log_metrics("validation", "xgboost", {"roc_auc": 0.6 + number / 10})
            run.log_json("centroids", {"run": number, "centres": [[1.5, 2.0]]})
            run.register(
                FAMILY,
                as_of_date=f"2011-0{number + 1}-01",
                reference_cutoff="2010-12-01",
                config_fingerprint=f"fp{number}",
                promote=number == 1,
            )
            runs.append(run.run_id)
    tracking._client(uri).delete_model_version(tracking.registered_model_name(FAMILY), "3")
    return uri, runs


def reads(uri: str, runs: list[str]) -> dict[str, object]:
    """Everything a build reads back from the store, through the public functions."""
    scores = [pd.DataFrame({"model_run_id": runs, "as_of_date": ["2011-01-01"] * len(runs)})]
    metrics = tracking.model_metrics_table(scores, uri)
    return {
        "champion": tracking.champion(uri, FAMILY),
        "other family": tracking.champion(uri, "ltv"),
        "version 1": tracking.registered_version(uri, FAMILY, 1),
        "params": [tracking.run_params(uri, run) for run in runs],
        "metrics": metrics.fillna({"value": -1.0}).sort_values(["model_run_id", "metric"]).to_dict("records"),
        "json": [tracking.run_json(uri, run, "centroids") for run in runs],
        "missing json": tracking.run_json(uri, runs[0], "no_such_artifact"),
    }


def test_direct_reads_equal_the_clients_and_never_open_it(
    store: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    uri, runs = store
    with monkeypatch.context() as patched:
        patched.setattr(registry_reader, "KNOWN_SCHEMAS", frozenset())  # an unknown schema: the client reads
        by_client = reads(uri, runs)

    def no_client(tracking_uri: str) -> None:
        raise AssertionError("MLflow's client was opened for a read")

    monkeypatch.setattr(tracking, "_client", no_client)
    direct = reads(uri, runs)

    assert direct == by_client
    champion = direct["champion"]
    assert champion is not None and champion.version == 2 and champion.config_fingerprint == "fp1"  # type: ignore[attr-defined]
    assert direct["other family"] is None
    assert direct["json"] == [{"run": number, "centres": [[1.5, 2.0]]} for number in range(3)]
    assert direct["missing json"] is None
    # The latest of two values, and NaN (filled with -1 above) as NaN.
    values = {(row["model_run_id"], row["metric"]): row["value"] for row in direct["metrics"]}  # type: ignore[attr-defined]
    assert values[(runs[0], "roc_auc")] == pytest.approx(0.6) and values[(runs[0], "brier")] == -1.0
    with pytest.raises(RetailError, match="version 3 is not in the MLflow store"):
        tracking.registered_version(uri, FAMILY, 3)  # deleted


def test_the_locked_mlflow_writes_a_schema_read_directly(store: tuple[str, list[str]]) -> None:
    """Fails after an MLflow upgrade with a new schema: check the queries, then add its revision."""
    uri, _ = store
    con = sqlite3.connect(uri.removeprefix("sqlite:///"))
    try:
        (revision,) = con.execute("select version_num from alembic_version").fetchone()
    finally:
        con.close()
    assert revision in registry_reader.KNOWN_SCHEMAS


def test_a_store_that_is_not_a_local_sqlite_file_goes_to_the_client(tmp_path: Path) -> None:
    with registry_reader.open_store("http://localhost:5000") as remote:
        assert remote is None
    with registry_reader.open_store(f"sqlite:///{tmp_path / 'absent.db'}") as absent:
        assert absent is None
    (tmp_path / "other.db").write_bytes(b"not a database")
    with registry_reader.open_store(f"sqlite:///{tmp_path / 'other.db'}") as other:
        assert other is None
