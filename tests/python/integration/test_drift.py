"""Drift tests shown to pass on a stable sample, warn on a mild shift and fail on a strong one; the SQL
statistics equal scipy's KS and a textbook PSI written here, not a copy of the SQL."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from bisect import bisect_right
from fractions import Fraction
from pathlib import Path

import duckdb
import numpy as np
import pytest
from scipy.stats import ks_2samp

from tests.python.conftest import PROJECT_DIR, Workspace

# One worker runs the module: its fixture is module-scoped.
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("drift")]

PROPERTIES = """
version: 2
seeds:
  - name: stable
    columns:
      - name: value
        data_tests:
          - psi_within_threshold:
              arguments: {baseline: ref('reference')}
  - name: warned
    columns:
      - name: value
        data_tests:
          - psi_within_threshold:
              arguments: {baseline: ref('reference')}
  - name: shifted
    columns:
      - name: value
        data_tests:
          - psi_within_threshold:
              arguments: {baseline: ref('reference')}
  - name: pair
    description: The stable and the shifted sample as two columns, graded by one test.
    data_tests:
      - psi_within_threshold_columns:
          arguments: {columns: [steady, moved], baseline: ref('pair_reference')}
  - name: shifted_early
    description: The shifted sample against a baseline with 30 days of history.
    columns:
      - name: value
        data_tests:
          - psi_within_threshold:
              arguments: {baseline: ref('reference_short_history'), min_history_days: 180}
  - name: shifted_warn_only
    description: The shifted sample, graded at most warn by a var.
    columns:
      - name: value
        data_tests:
          - psi_within_threshold:
              arguments: {baseline: ref('reference'), max_severity_var: fixture_drift_severity}
  - name: shifted_trained
    description: The shifted sample; the baseline is the model's own training snapshot (a row says so).
    columns:
      - name: value
        data_tests:
          - psi_within_threshold:
              arguments:
                baseline: ref('reference')
                warn_only_relation: ref('training_plan')
                warn_only_where: "family = 'churn' and retrain"
  - name: shifted_not_trained
    description: The same, but the plan row says the model was not trained in this build.
    columns:
      - name: value
        data_tests:
          - psi_within_threshold:
              arguments:
                baseline: ref('reference')
                warn_only_relation: ref('training_plan')
                warn_only_where: "family = 'ltv' and retrain"
"""


def samples() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(2024)
    return {
        "reference": np.round(rng.lognormal(3, 1, 2_000), 2),
        "stable": np.round(rng.lognormal(3, 1, 1_500), 2),
        # A third of customers spending less: the kind of shift a drift test must catch.
        "shifted": np.round(np.concatenate([rng.lognormal(3, 1, 1_000), rng.lognormal(1.5, 1, 500)]), 2),
        # A milder shift, in the warn band (0.1 <= PSI < 0.2).
        "warned": np.round(np.concatenate([rng.lognormal(3, 1, 1_080), rng.lognormal(1.5, 1, 420)]), 2),
    }


def textbook_psi(reference: np.ndarray, current: np.ndarray, bins: int = 10, epsilon: float = 1e-4) -> float:
    """PSI as the credit-scoring literature defines it: bins cut at the reference's k/bins quantiles (linear
    interpolation, repeated edges merged, open-ended first and last bins, a value on an edge in the bin above),
    each sample's share per bin with empty bins floored at epsilon = 1e-4, then
    sum((current - reference) * ln(current / reference)).

    Quantiles and bin membership are computed in exact rational arithmetic: in floating point an
    interpolated edge between two equal values can land a hair above them and move a value on the edge.
    """
    ordered = sorted(Fraction(str(value)) for value in reference)

    def quantile(share: Fraction) -> Fraction:
        position = (len(ordered) - 1) * share
        below = int(position)
        above = min(below + 1, len(ordered) - 1)
        return ordered[below] + (position - below) * (ordered[above] - ordered[below])

    edges = sorted({quantile(Fraction(step, bins)) for step in range(1, bins)})

    def shares(values: np.ndarray) -> np.ndarray:
        counts = np.bincount([bisect_right(edges, Fraction(str(value))) for value in values], minlength=len(edges) + 1)
        return np.maximum(counts / len(values), epsilon)

    expected, actual = shares(reference), shares(current)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


@pytest.fixture(scope="module")
def drift_project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    root = tmp_path_factory.mktemp("drift")
    (root / "seeds").mkdir()
    data = samples()
    for name, values in data.items():
        (root / "seeds" / f"{name}.csv").write_text("value\n" + "\n".join(map(str, values)) + "\n")
    for copy in ("shifted_early", "shifted_warn_only", "shifted_trained", "shifted_not_trained"):
        (root / "seeds" / f"{copy}.csv").write_text((root / "seeds" / "shifted.csv").read_text())
    (root / "seeds" / "pair.csv").write_text(
        "steady,moved\n" + "".join(f"{a},{b}\n" for a, b in zip(data["stable"], data["shifted"], strict=True))
    )
    (root / "seeds" / "pair_reference.csv").write_text(
        "steady,moved\n" + "".join(f"{value},{value}\n" for value in data["reference"])
    )
    (root / "seeds" / "training_plan.csv").write_text("family,retrain\nchurn,true\nltv,false\n")
    (root / "seeds" / "reference_short_history.csv").write_text(
        "value,as_of_date,first_ordered_at\n"
        + "".join(f"{value},2011-01-01,2010-12-02 10:00:00\n" for value in data["reference"])
    )
    (root / "seeds" / "_seeds.yml").write_text(PROPERTIES)
    shutil.copytree(PROJECT_DIR / "tests" / "dbt" / "generic", root / "tests" / "generic")
    (root / "macros").mkdir()
    for macro in ("drift_statistics.sql", "psi_grades.sql"):
        shutil.copy(PROJECT_DIR / "dbt_project" / "macros" / macro, root / "macros")
    for helper in ("log_ratio.sql", "type_double.sql"):
        shutil.copy(PROJECT_DIR / "dbt_project" / "macros" / "cross_db" / helper, root / "macros")
    (root / "models").mkdir()
    for name in ("stable", "warned", "shifted"):
        (root / "models" / f"drift_{name}.sql").write_text(
            "{{ drift_statistics(\"select value from \" ~ ref('reference'), "
            f"\"select value from \" ~ ref('{name}')) }}}}\n"
        )
    (root / "dbt_project.yml").write_text(
        "name: drift_fixture\nversion: '1.0'\nconfig-version: 2\nprofile: fixture\n"
        "vars:\n  fixture_drift_severity: warn\n"
        "seed-paths: [seeds]\ntest-paths: [tests]\nmodel-paths: [models]\nmacro-paths: [macros]\n"
        "seeds:\n  drift_fixture:\n    +column_types: {value: double, steady: double, moved: double}\n"
        "models:\n  drift_fixture:\n    +materialized: table\n"
    )
    (root / "profiles.yml").write_text(
        f"fixture:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: '{root / 'drift.duckdb'}'\n"
    )
    # seed + run + test, not build: a failing test would skip the models downstream of it.
    for command in ("seed", "run", "test"):
        result = subprocess.run(
            [
                str(Path(sys.executable).parent / "dbt"),
                command,
                "--project-dir",
                str(root),
                "--profiles-dir",
                str(root),
            ],
            cwd=root,
            env={**os.environ, "DBT_TARGET_PATH": str(root / "target"), "DBT_LOG_PATH": str(root / "logs")},
            capture_output=True,
            text=True,
            check=False,
        )
    return root, result


def test_drift_test_passes_stable_and_fails_shifted_naming_feature_and_psi(
    drift_project: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    _, result = drift_project

    assert result.returncode != 0, "the shifted sample must fail dbt test"
    lines = result.stdout.splitlines()
    stable = next(line for line in lines if "drift stable.value: PSI" in line)
    shifted = next(line for line in lines if "drift shifted.value: PSI" in line)
    assert float(stable.split("PSI ")[1].split(",")[0]) < 0.1
    assert float(shifted.split("PSI ")[1].split(",")[0]) >= 0.2
    assert any("PASS" in line and "psi_within_threshold_stable" in line for line in lines)
    assert any("FAIL" in line and "psi_within_threshold_shifted_ref_reference" in line for line in lines)
    early = next(line for line in lines if "drift shifted_early.value: PSI" in line)
    assert "not graded: the baseline has 30 days of history, drift needs 180" in early
    assert any("PASS" in line and "psi_within_threshold_shifted_early" in line for line in lines)


def test_drift_test_grades_at_most_warn_by_var_or_when_the_model_was_trained_on_the_baseline(
    drift_project: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    _, result = drift_project
    lines = result.stdout.splitlines()

    def verdict(model: str) -> str:
        return next(line for line in lines if f"psi_within_threshold_{model}_" in line and "START" not in line)

    for model in ("shifted_warn_only", "shifted_trained"):
        assert "WARN 1" in verdict(model), verdict(model)
        log = next(line for line in lines if f"drift {model}.value: PSI" in line)
        assert float(log.split("PSI ")[1].split(",")[0]) >= 0.2 and "graded at most warn" in log
    assert "FAIL 2" in verdict("shifted_not_trained")


def test_drift_test_warns_in_the_warn_band(drift_project: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    _, result = drift_project
    lines = result.stdout.splitlines()
    log = next(line for line in lines if "drift warned.value: PSI" in line)
    verdict = next(line for line in lines if "psi_within_threshold_warned_" in line and "START" not in line)

    assert 0.1 <= float(log.split("PSI ")[1].split(",")[0]) < 0.2
    assert "WARN 1" in verdict, verdict


def test_drift_columns_test_grades_each_column_and_fails_on_the_worst(
    drift_project: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    root, result = drift_project
    lines = result.stdout.splitlines()
    data = samples()
    logged = {
        column: float(
            next(line for line in lines if f"drift pair.{column}: PSI" in line).split("PSI ")[1].split(",")[0]
        )
        for column in ("steady", "moved")
    }
    verdict = next(line for line in lines if "psi_within_threshold_columns_pair_" in line and "START" not in line)

    assert logged["steady"] == pytest.approx(textbook_psi(data["reference"], data["stable"]), abs=5e-5)
    assert logged["moved"] == pytest.approx(textbook_psi(data["reference"], data["shifted"]), abs=5e-5)
    assert "FAIL 2" in verdict, verdict
    sql = next(
        node["compiled_code"]
        for node in json.loads((root / "target" / "run_results.json").read_text())["results"]
        if node["unique_id"].split(".")[2].startswith("psi_within_threshold_columns_pair_")
    )
    con = duckdb.connect(str(root / "drift.duckdb"), read_only=True)
    grades = dict(con.execute(f"select feature, severity_level from ({sql}) as grades").fetchall())
    con.close()
    assert grades == {"steady": 0, "moved": 2}


@pytest.mark.parametrize("name", ["stable", "warned", "shifted"])
def test_sql_psi_and_ks_match_textbook_psi_and_scipy_ks(
    drift_project: tuple[Path, subprocess.CompletedProcess[str]], name: str
) -> None:
    root, _ = drift_project
    data = samples()
    con = duckdb.connect(str(root / "drift.duckdb"), read_only=True)
    sql_psi, sql_ks = con.execute(f"select psi, ks from main.drift_{name}").fetchone()  # type: ignore[misc]
    con.close()

    assert sql_psi == pytest.approx(textbook_psi(data["reference"], data[name]), rel=1e-9)
    assert sql_ks == pytest.approx(ks_2samp(data["reference"], data[name]).statistic, rel=1e-9)


def test_a_builds_feature_drift_matches_textbook_psi_and_scipy_ks_and_is_what_the_test_grades_and_the_report_keeps(
    demo_build: Workspace,
) -> None:
    """reporting.feature_drift compares each feature of customer_features with the churn model's reference
    snapshot, ml.drift_reference_features; the test psi_within_threshold_features grades those numbers and
    drift_report keeps them."""
    drift = demo_build.frame("select feature, psi, ks from reporting.feature_drift order by feature")
    reference = demo_build.frame("select * from ml.drift_reference_features")
    current = demo_build.frame("select * from marts.customer_features")
    report = dict(
        demo_build.query(
            "select feature, value from reporting.drift_report where check_name like 'feature_psi:%' "
            "and as_of_date = (select max(as_of_date) from marts.customer_features)"
        )
    )
    # What the build's feature-drift test graded: its rows, queried again from the SQL it ran.
    results = json.loads((demo_build.root / "target" / "run_results.json").read_text())["results"]
    test_sql = next(r["compiled_code"] for r in results if r["unique_id"].endswith(".psi_within_threshold_features"))
    graded = {feature: (psi, ks) for feature, psi, ks in demo_build.query(f"select feature, psi, ks from ({test_sql})")}

    assert len(drift) == 14 and drift["feature"].is_unique
    for feature, psi, ks in drift.itertuples(index=False):
        before, now = reference[feature].dropna().to_numpy(float), current[feature].dropna().to_numpy(float)
        assert psi == pytest.approx(textbook_psi(before, now), rel=1e-9, abs=1e-12), feature
        assert ks == pytest.approx(ks_2samp(before, now).statistic, rel=1e-9), feature
        assert report[feature] == pytest.approx(psi, rel=1e-12), feature
        assert graded[feature] == pytest.approx((psi, ks), rel=1e-9), feature
