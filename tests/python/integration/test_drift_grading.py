"""How drift grades a later build: feature drift warns (an error only by var), prediction drift fails."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from tests.python.conftest import Workspace, copy_workspace

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("demo_build")]


def _drift_results(workspace: Workspace) -> dict[str, dict[str, str]]:
    """Status of every drift test of the last dbt invocation, by kind (feature, prediction) and test."""
    results = json.loads((workspace.root / "target" / "run_results.json").read_text())["results"]
    kinds: dict[str, dict[str, str]] = {"feature": {}, "prediction": {}}
    for result in results:
        name = result["unique_id"]
        if "psi_within_threshold_customer_features" in name:
            kinds["feature"][name] = result["status"]
        elif "psi_within_threshold_churn_scores" in name or "psi_within_threshold_ltv_scores" in name:
            kinds["prediction"][name] = result["status"]
    return kinds


def test_later_build_with_drifted_features_warns_unless_the_var_says_error_and_prediction_drift_fails(
    demo_build: Workspace, tmp_path: Path
) -> None:
    workspace = copy_workspace(demo_build, tmp_path / "workspace")
    published = workspace.query("select max(as_of_date) from reporting.publication", published=True)[0][0]
    # Seven weeks without a single order: every customer is 45 days less recent, nobody ordered in
    # the last 30 days. The champion (trained at the demo's date) is young enough to keep scoring.
    later = str(published + timedelta(days=45))  # type: ignore[operator]

    default = workspace.run("build", "--as-of-date", later)
    graded_default = _drift_results(workspace)
    report = workspace.query(
        "select feature, value, status from reporting.drift_report "
        f"where as_of_date = '{later}' and check_name like 'feature_psi:%' and value >= 0.2"
    )
    # The same tables graded with the var: only the tests run again.
    strict = workspace.run(
        "dbt", "test", "--select", "test_name:psi_within_threshold", "--vars", "{feature_drift_severity: error}"
    )
    graded_strict = _drift_results(workspace)

    assert workspace.query("select bool_or(retrain) from ml.retraining_plan") == [(False,)]
    assert report, "the shift must put some feature PSI at the error level"
    assert {status for _, _, status in report} == {"warn"}
    assert set(graded_default["feature"].values()) <= {"pass", "warn"} and "warn" in graded_default["feature"].values()
    assert "fail" in graded_default["prediction"].values()
    assert default.returncode == 1  # prediction drift still fails the build
    drifted = {name for name, status in graded_default["feature"].items() if status == "warn"}
    failed = {name for name, status in graded_strict["feature"].items() if status == "fail"}
    assert len(failed) == len(report) and failed <= drifted
    assert strict.returncode == 1 and "fail" in graded_strict["prediction"].values()
