"""Each custom generic test passes on good data and fails on bad, in a throwaway dbt project."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.python.conftest import PROJECT_DIR

# One worker runs the module: its fixture is module-scoped.
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("generic_tests")]

SCORES_HEADER = "customer_id,as_of_date,churn_probability\n"
SEEDS = {
    "scores_good.csv": SCORES_HEADER + "1,2011-01-01,0.1\n1,2011-02-01,1.0\n2,2011-01-01,0\n",
    # A duplicated key, a null key, and probabilities above 1 and below 0.
    "scores_bad.csv": SCORES_HEADER + "1,2011-01-01,0.1\n1,2011-01-01,1.5\n,2011-01-01,-0.2\n",
    "three_rows.csv": "id\n1\n2\n3\n",
    "two_rows.csv": "id\n1\n2\n",
}
PROPERTIES = """
version: 2
seeds:
  - name: scores_good
    data_tests:
      - unique_key_columns:
          arguments: {columns: [customer_id, as_of_date]}
      - not_null_columns:
          arguments: {columns: [customer_id, as_of_date, churn_probability]}
      - row_count_matches:
          arguments: {compare_model: ref('three_rows')}
    columns:
      - name: churn_probability
        data_tests:
          - value_between:
              arguments: {min_value: 0, max_value: 1}
          - value_between:
              arguments: {min_value: 0}
  - name: scores_bad
    data_tests:
      - unique_key_columns:
          arguments: {columns: [customer_id, as_of_date]}
      - unique_key_columns:
          arguments: {columns: [customer_id, as_of_date], nullable: [customer_id]}
      - not_null_columns:
          arguments: {columns: [customer_id, as_of_date]}
      - not_null_columns:
          arguments: {columns: [as_of_date, churn_probability]}
      - row_count_matches:
          arguments: {compare_model: ref('two_rows')}
    columns:
      - name: churn_probability
        data_tests:
          - value_between:
              arguments: {min_value: 0, max_value: 1}
          - value_between:
              arguments: {max_value: 2}
"""
INVERTED_BOUNDS = """
version: 2
seeds:
  - name: three_rows
    columns:
      - name: id
        data_tests:
          - value_between:
              arguments: {min_value: 3, max_value: 1}
"""


def make_project(root: Path, properties: str) -> Path:
    (root / "seeds").mkdir(parents=True)
    for name, content in SEEDS.items():
        (root / "seeds" / name).write_text(content)
    (root / "seeds" / "_seeds.yml").write_text(properties)
    shutil.copytree(PROJECT_DIR / "tests" / "dbt" / "generic", root / "tests" / "generic")
    (root / "dbt_project.yml").write_text(
        "name: generic_tests_fixture\nversion: '1.0'\nconfig-version: 2\nprofile: fixture\n"
        "seed-paths: [seeds]\ntest-paths: [tests]\nmodel-paths: [models]\n"
        "seeds:\n  generic_tests_fixture:\n    +column_types: {churn_probability: double}\n"
    )
    (root / "profiles.yml").write_text(
        f"fixture:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: '{root / 'fixture.duckdb'}'\n"
    )
    return root


def run_dbt(root: Path, command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), command, "--project-dir", str(root), "--profiles-dir", str(root)],
        cwd=root,
        env={**os.environ, "DBT_TARGET_PATH": str(root / "target"), "DBT_LOG_PATH": str(root / "logs")},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def test_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, int | None]]:
    root = make_project(tmp_path_factory.mktemp("generic_tests"), PROPERTIES)
    run_dbt(root, "build")
    results = json.loads((root / "target" / "run_results.json").read_text())["results"]
    return {
        result["unique_id"].split(".")[2]: (result["status"], result.get("failures"))
        for result in results
        if result["unique_id"].startswith("test.")
    }


def status_of(results: dict[str, tuple[str, int | None]], prefix: str) -> list[tuple[str, int | None]]:
    matches = [value for name, value in results.items() if name.startswith(prefix)]
    assert matches, f"no test named {prefix}* in {sorted(results)}"
    return matches


def test_unique_key_columns_passes_unique_keys_and_fails_duplicates_and_non_nullable_nulls(
    test_results: dict[str, tuple[str, int | None]],
) -> None:
    assert status_of(test_results, "unique_key_columns_scores_good") == [("pass", 0)]
    # One duplicated (1, 2011-01-01) key and one null customer_id; with customer_id
    # nullable, only the duplicate.
    assert sorted(status_of(test_results, "unique_key_columns_scores_bad")) == [("fail", 1), ("fail", 2)]


def test_not_null_columns_fails_on_a_null_in_any_listed_column_only(
    test_results: dict[str, tuple[str, int | None]],
) -> None:
    assert status_of(test_results, "not_null_columns_scores_good") == [("pass", 0)]
    # scores_bad has one null customer_id: a failure (one row of counts) only where it is listed.
    assert sorted(status_of(test_results, "not_null_columns_scores_bad")) == [("fail", 1), ("pass", 0)]


def test_value_between_passes_in_range_and_fails_out_of_range(
    test_results: dict[str, tuple[str, int | None]],
) -> None:
    assert status_of(test_results, "value_between_scores_good") == [("pass", 0), ("pass", 0)]
    bad = sorted(status_of(test_results, "value_between_scores_bad"))
    assert bad == [("fail", 2), ("pass", 0)]


def test_value_between_rejects_inverted_bounds(tmp_path: Path) -> None:
    result = run_dbt(make_project(tmp_path, INVERTED_BOUNDS), "build")

    assert result.returncode != 0
    assert "min_value 3 is greater than max_value 1" in result.stdout


def test_row_count_matches_compares_row_counts(
    test_results: dict[str, tuple[str, int | None]],
) -> None:
    assert status_of(test_results, "row_count_matches_scores_good") == [("pass", 0)]
    assert status_of(test_results, "row_count_matches_scores_bad") == [("fail", 1)]
