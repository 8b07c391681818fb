"""Each custom generic test passes on good data and fails on bad, in a throwaway dbt project."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
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
    "tiers.csv": "tier,stage\nhigh,new\nlow,\nlow,active\n",
    # Numbers in several 2^20 blocks, negative ones included: -1 and 1048575 share a bitmap bit but not a block.
    "numbered_good.csv": "load_id,row_number\n1,1\n1,2\n1,1048576\n1,-1\n1,1048575\n2,1\n2,2\n",
    "numbered_bad.csv": "load_id,row_number\n1,1\n1,2\n1,2\n1,1048577\n1,1048577\n1,1048577\n1,-1\n1,1048575\n"
    "2,1\n,5\n3,\n",
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
      - value_between_columns:
          arguments:
            ranges:
              churn_probability: {min_value: 0, max_value: 1}
              customer_id: {min_value: 1, max_value: 2}
    columns:
      - name: churn_probability
        data_tests:
          - value_between:
              arguments: {min_value: 0, max_value: 1}
          - value_between:
              arguments: {min_value: 0}
  - name: numbered_good
    data_tests:
      - unique_numbered_rows:
          arguments: {group_column: load_id, number_column: row_number}
  - name: numbered_bad
    data_tests:
      - unique_numbered_rows:
          arguments: {group_column: load_id, number_column: row_number}
  - name: three_rows
    columns:
      - name: id
        data_tests: [unique_not_null]
  - name: tiers
    data_tests:
      - accepted_values_columns:
          arguments:
            values:
              tier: [high, low]
              stage: [new, active]
      - accepted_values_columns:
          arguments:
            values:
              tier: [high]
              stage: [new, active, "it's"]
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
      - value_between_columns:
          arguments:
            ranges:
              customer_id: {min_value: 1}
              churn_probability: {min_value: 0}
      - value_between_columns:
          arguments:
            ranges:
              customer_id: {max_value: 1}
              churn_probability: {max_value: 2}
    columns:
      - name: customer_id
        data_tests: [unique_not_null]
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
    # The queries some generic tests call (macros cannot live in tests/generic).
    (root / "macros").mkdir()
    for macro in ("offending_row_counts.sql", "numbered_row_repeats.sql"):
        shutil.copy(PROJECT_DIR / "dbt_project" / "macros" / macro, root / "macros")
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
def fixture_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_project(tmp_path_factory.mktemp("generic_tests"), PROPERTIES)
    run_dbt(root, "build")
    return root


@pytest.fixture(scope="module")
def test_results(fixture_project: Path) -> dict[str, tuple[str, int | None]]:
    results = json.loads((fixture_project / "target" / "run_results.json").read_text())["results"]
    return {
        result["unique_id"].split(".")[2]: (result["status"], result.get("failures"))
        for result in results
        if result["unique_id"].startswith("test.")
    }


def failing_rows(root: Path, test_name: str) -> list[dict[str, object]]:
    """The rows the data test ``test_name`` returned, by running its compiled SQL again."""
    results = json.loads((root / "target" / "run_results.json").read_text())["results"]
    sql = next(result["compiled_code"] for result in results if result["unique_id"].split(".")[2] == test_name)
    con = duckdb.connect(str(root / "fixture.duckdb"), read_only=True)
    try:
        frame = con.execute(sql).df()
    finally:
        con.close()
    return [{key: int(value) for key, value in row.items()} for row in frame.to_dict("records")]


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
    # Two probabilities out of [0, 1] (1.5 and -0.2): one failing row counting them.
    bad = sorted(status_of(test_results, "value_between_scores_bad"))
    assert bad == [("fail", 1), ("pass", 0)]


def test_value_between_columns_fails_when_any_listed_column_leaves_its_range(
    test_results: dict[str, tuple[str, int | None]], fixture_project: Path
) -> None:
    good = [value for name, value in test_results.items() if name.startswith("value_between_columns_scores_good")]
    assert good == [("pass", 0)]
    bad = {name: value for name, value in test_results.items() if name.startswith("value_between_columns_scores_bad")}
    # customer_id >= 1 holds (the null is skipped), churn_probability >= 0 does not (-0.2); the
    # other test's bounds hold (customer_id <= 1, probabilities <= 2).
    assert sorted(bad.values()) == [("fail", 1), ("pass", 0)]
    failing = next(name for name, value in bad.items() if value[0] == "fail")
    counts = failing_rows(fixture_project, failing)
    assert counts == [{"customer_id_out_of_range": 0, "churn_probability_out_of_range": 1}]


def test_accepted_values_columns_counts_other_values_per_column_and_lets_nulls_pass(
    test_results: dict[str, tuple[str, int | None]], fixture_project: Path
) -> None:
    results = {name: value for name, value in test_results.items() if name.startswith("accepted_values_columns_tiers")}
    # The first passes (the null stage passes); the second accepts only `high` tiers: two `low` rows.
    assert sorted(results.values()) == [("fail", 1), ("pass", 0)]
    failing = next(name for name, value in results.items() if value[0] == "fail")
    assert failing_rows(fixture_project, failing) == [{"tier_other_values": 2, "stage_other_values": 0}]


def test_unique_not_null_fails_on_a_repeated_or_null_key(test_results: dict[str, tuple[str, int | None]]) -> None:
    assert status_of(test_results, "unique_not_null_three_rows_id") == [("pass", 0)]
    # customer_id 1 twice, and one null: a row each.
    assert status_of(test_results, "unique_not_null_scores_bad_customer_id") == [("fail", 2)]


def test_unique_numbered_rows_names_each_repeated_or_null_pair(
    test_results: dict[str, tuple[str, int | None]], fixture_project: Path
) -> None:
    assert status_of(test_results, "unique_numbered_rows_numbered_good") == [("pass", 0)]
    seed = pd.read_csv(fixture_project / "seeds" / "numbered_bad.csv", dtype="Int64")
    counts = seed.groupby(["load_id", "row_number"], dropna=False).size().rename("row_count").reset_index()
    expected = counts[(counts["row_count"] > 1) | counts["load_id"].isna() | counts["row_number"].isna()]
    assert status_of(test_results, "unique_numbered_rows_numbered_bad") == [("fail", len(expected))]
    failing = next(name for name in test_results if name.startswith("unique_numbered_rows_numbered_bad"))
    con = duckdb.connect(str(fixture_project / "fixture.duckdb"), read_only=True)
    try:
        sql = next(
            result["compiled_code"]
            for result in json.loads((fixture_project / "target" / "run_results.json").read_text())["results"]
            if result["unique_id"].split(".")[2] == failing
        )
        found = con.execute(sql).df()
    finally:
        con.close()

    def pairs(frame: pd.DataFrame) -> set[tuple[object, ...]]:
        values = frame[["load_id", "row_number", "row_count"]].astype("Int64").astype(object)
        return {tuple(None if pd.isna(value) else int(value) for value in row) for row in values.to_numpy()}

    assert pairs(found) == pairs(expected)


def test_value_between_rejects_inverted_bounds(tmp_path: Path) -> None:
    result = run_dbt(make_project(tmp_path, INVERTED_BOUNDS), "build")

    assert result.returncode != 0
    assert "min_value 3 is greater than max_value 1" in result.stdout


def test_row_count_matches_compares_row_counts(
    test_results: dict[str, tuple[str, int | None]],
) -> None:
    assert status_of(test_results, "row_count_matches_scores_good") == [("pass", 0)]
    assert status_of(test_results, "row_count_matches_scores_bad") == [("fail", 1)]
