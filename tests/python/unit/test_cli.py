from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from models_py.cli import cli
from tests.python.conftest import Workspace

SUBCOMMANDS = [
    ["demo-data"],
    ["ingest"],
    ["build"],
    ["dbt"],
    ["loads"],
    ["replay"],
    ["publish"],
    ["report"],
    ["export"],
    ["export", "evidence"],
    ["serve"],
    ["dashboard"],
    ["docs"],
    ["backtest"],
]


@pytest.mark.parametrize("args", [[], *SUBCOMMANDS])
def test_every_subcommand_has_help(args: list[str]) -> None:
    result = CliRunner().invoke(cli, [*args, "--help"])

    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_ingest_bad_input_is_one_line_and_exit_2(workspace: Workspace, tmp_path: Path) -> None:
    result = workspace.run("ingest", tmp_path / "missing.csv")

    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {tmp_path / 'missing.csv'}: file does not exist"
    assert "Traceback" not in result.stderr


def test_ingest_bad_mapping_is_one_line_and_exit_2(workspace: Workspace, tmp_path: Path) -> None:
    data = tmp_path / "shop.csv"
    data.write_text("a,b\n1,2\n")
    mapping = tmp_path / "map.json"
    mapping.write_text('{"customer_id": "nope"}')

    result = workspace.run("ingest", data, "--mapping", mapping)

    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "'nope'" in result.stderr and "'a', 'b'" in result.stderr


def test_demo_data_then_ingest_then_loads(workspace: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "demo.csv.gz"

    workspace.run("demo-data", "--rows", "2000", "--out", out, check=True)
    ingested = workspace.run("ingest", out, check=True)
    listed = workspace.run("loads", check=True)

    assert "load 1:" in ingested.stdout
    assert "replace" in listed.stdout and str(out) in listed.stdout
    assert "dates %Y-%m-%d %H:%M:%S" in listed.stdout


def test_ingest_reports_a_warehouse_locked_by_another_process(workspace: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "demo.csv"
    workspace.run("demo-data", "--rows", "500", "--out", out, check=True)
    workspace.run("ingest", out, check=True)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect(r'{workspace.warehouse}'); print('ready', flush=True); "
            "time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        started = time.monotonic()
        result = workspace.run("ingest", out, "--append", "--force")
    finally:
        holder.kill()
        holder.wait()

    assert result.returncode == 2
    assert "in use by another process" in result.stderr
    assert time.monotonic() - started < 30


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["publish"], "does not exist yet; run `retail build` first"),
        (["report"], "no published warehouse at"),
        (["export", "evidence", "--out", "evidence"], "no published warehouse at"),
    ],
)
def test_reader_commands_before_any_build_say_what_to_run(workspace: Workspace, args: list[str], message: str) -> None:
    result = workspace.run(*args)

    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert message in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "api.example.com"])
def test_serve_refuses_a_network_interface_without_an_api_key(workspace: Workspace, host: str) -> None:
    env_key = {"RETAIL_API_KEY": ""}
    result = subprocess.run(
        [str(Path(sys.executable).parent / "retail"), "serve", "--host", host, "--port", "1"],
        env={**workspace.env, **env_key},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 2
    assert f"--host {host} would serve customer data to the network without an API key" in result.stderr
    assert "RETAIL_API_KEY" in result.stderr and "--insecure" in result.stderr
    assert "Traceback" not in result.stderr


def test_dashboard_refuses_a_network_interface_without_insecure(workspace: Workspace) -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "retail"), "dashboard", "--host", "0.0.0.0", "--port", "1"],
        env=workspace.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 2
    assert "--host 0.0.0.0 would serve customer data and build controls to the network without a login" in (
        result.stderr
    )
    assert "--insecure" in result.stderr and "Traceback" not in result.stderr


def test_ingest_names_the_other_date_format_that_fits(workspace: Workspace, tmp_path: Path) -> None:
    data = tmp_path / "day.csv"
    data.write_text(
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
        "581587,22138,BAKING SET,3,01/12/2011 09:00,4.95,12680,France\n"
    )

    result = workspace.run("ingest", data, check=True)

    assert "dates %m/%d/%Y %H:%M" in result.stdout
    assert "the dates in day.csv read as %d/%m/%Y %H:%M too" in result.stdout
    assert '"datetime_format"' in result.stdout
