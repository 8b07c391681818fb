"""Whom to contact follows the economics: the demo build's customer_scores rebuilt under other dbt vars."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.python.conftest import Workspace, copy_workspace

pytestmark = [pytest.mark.integration]

CONTACT_SQL = (
    "select customer_id, expected_value_of_contact, is_contact_recommended from reporting.customer_scores "
    "order by expected_value_of_contact desc, customer_id"
)


def _contacts(workspace: Workspace, dbt_vars: str) -> list[tuple[object, ...]]:
    """customer_scores (and its parameters) rebuilt from the same scores under ``dbt_vars``."""
    result = workspace.dbt("run", "--select", "retention_parameters", "customer_scores", "--vars", dbt_vars)
    assert result.returncode == 0, result.stdout[-3000:]
    return workspace.query(CONTACT_SQL)


def _share(rows: list[tuple[object, ...]]) -> float:
    return sum(bool(row[2]) for row in rows) / len(rows)


def test_contact_share_follows_incentive_save_rate_and_budget(demo_build: Workspace, tmp_path: Path) -> None:
    workspace = copy_workspace(demo_build, tmp_path / "workspace")
    default = workspace.query(CONTACT_SQL)
    top_value = max(float(row[1]) for row in default) + 5.0  # value at risk x margin x p x save_rate, plus the fee

    prohibitive = _contacts(workspace, f"{{retention_incentive_cost: {top_value * 100}}}")
    generous = _contacts(workspace, "{save_rate: 0.5}")
    budgeted = _contacts(workspace, "{campaign_budget: 52}")  # ten incentives of 5 fit, an eleventh does not

    assert 0 < _share(default) < 0.97
    assert _share(prohibitive) == 0
    assert _share(generous) > _share(default)
    contacted = [row[0] for row in budgeted if row[2]]
    assert contacted == [row[0] for row in budgeted[:10]]  # the ten best expected values
    assert all(float(row[1]) > 0 for row in budgeted[:11])  # an eleventh was worth it but over budget
