"""A new SQLite MLflow store starts as a copy of an empty migrated one, and an existing store is never replaced."""

from __future__ import annotations

from pathlib import Path

import pytest

from models_py.ml import tracking


def test_a_new_store_is_copied_from_the_template_and_an_existing_one_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(tracking.CACHE_DIR_ENV, str(tmp_path / "cache"))
    first = f"sqlite:///{tmp_path / 'a' / 'mlflow.db'}"

    with tracking.start_run(first, "churn", "first run") as run:
        run.log_params({"k": 4})

    templates = list((tmp_path / "cache" / "retail-retention").glob("mlflow-*-empty.db"))
    assert len(templates) == 1
    second = f"sqlite:///{tmp_path / 'b' / 'mlflow.db'}"
    with tracking.start_run(second, "ltv", "second run") as other:
        other.log_params({"horizon": 90})
    # Each store holds its own experiment only, with its artifacts beside it, and the template stays empty.
    names = {experiment.name for experiment in tracking._client(second).search_experiments()}
    assert names == {"Default", "ltv"}
    assert tracking.run_params(second, other.run_id) == {"horizon": "90"}
    assert {experiment.name for experiment in tracking._client(f"sqlite:///{templates[0]}").search_experiments()} == {
        "Default"
    }
    # Opening an existing store again keeps its runs.
    assert tracking.run_params(first, run.run_id) == {"k": "4"}
    churn = tracking._client(first).get_experiment_by_name("churn")
    assert churn is not None and churn.artifact_location == (tmp_path / "a" / "mlartifacts").as_uri()


def test_a_store_not_created_yet_has_no_champion_and_is_left_to_the_first_run(tmp_path: Path) -> None:
    store = tmp_path / "warehouse" / "mlflow.db"
    assert tracking.champion(f"sqlite:///{store}", "churn") is None
    assert not store.exists()  # created by the first model that logs, not by the retraining plan
    with tracking.start_run(f"sqlite:///{store}", "churn", "first") as run:
        run.log_params({"k": 1})
    assert store.exists() and tracking.champion(f"sqlite:///{store}", "churn") is None
