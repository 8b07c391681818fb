"""The memory budget: DuckDB gets its share of RETAIL_DUCKDB_MEMORY_LIMIT, in Python and in dbt's profile."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest
import yaml
from dbt.config.renderer import ProfileRenderer
from dbt_common.context import set_invocation_context

from models_py.errors import RetailError
from models_py.warehouse import connect, duckdb_memory_limit

PROJECT_DIR = Path(__file__).resolve().parents[3]


def duckdb_setting(limit: str) -> str:
    """How DuckDB reports ``limit`` once set (it normalises units, e.g. 4.5GB -> 4.1 GiB)."""
    con = duckdb.connect()
    try:
        con.execute("set memory_limit = ?", [limit])
        return str(con.execute("select current_setting('memory_limit')").fetchone()[0])
    finally:
        con.close()


@pytest.mark.parametrize(
    ("budget", "share"),
    [("6GB", "4.5GB"), ("500MB", "375MB"), (" 2 GiB ", "1.5GiB"), ("4.5GB", "3375MB"), ("20000MB", "15GB")],
)
def test_duckdb_gets_three_quarters_of_the_budget(budget: str, share: str, tmp_path: Path) -> None:
    with connect(tmp_path / "retail.duckdb", memory_limit=budget) as con:
        setting = con.execute("select current_setting('memory_limit')").fetchone()[0]

    assert setting == duckdb_setting(share)


def test_dbt_profile_gives_duckdb_the_same_share(monkeypatch: pytest.MonkeyPatch) -> None:
    memory_limit = yaml.safe_load((PROJECT_DIR / "profiles.yml").read_text())["retail_retention"]["outputs"]["dev"][
        "settings"
    ]["memory_limit"]
    for budget in ("6GB", "500MB", "2GiB", "10GB", "20000MB"):
        monkeypatch.setenv("RETAIL_DUCKDB_MEMORY_LIMIT", budget)
        set_invocation_context(dict(os.environ))
        rendered = ProfileRenderer({}).render_value(memory_limit)
        assert duckdb_setting(str(rendered)) == duckdb_setting(duckdb_memory_limit(budget)), budget


@pytest.mark.parametrize("budget", ["lots", "6", "GB", "-1GB"])
def test_a_budget_without_number_and_unit_is_refused_naming_the_variable(budget: str) -> None:
    with pytest.raises(RetailError, match=rf"invalid memory limit '{budget}' \(RETAIL_DUCKDB_MEMORY_LIMIT\)"):
        duckdb_memory_limit(budget)
