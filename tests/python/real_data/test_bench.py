"""The 1x smoke run of the scale bench (bench/run): it runs end to end on the real file and its report
carries the numbers of what it built, checked against the warehouse and the file themselves."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.python.conftest import PROJECT_DIR, REAL_DATA

pytestmark = [
    pytest.mark.real_data,
    pytest.mark.skipif(
        not REAL_DATA.exists() and os.environ.get("RETAIL_REQUIRE_REAL_DATA") != "1",
        reason=f"bench smoke run skipped: {REAL_DATA} not found (the shared UCI Online Retail file)",
    ),
]


def _table(text: str, header: str) -> pd.DataFrame:
    """The markdown table whose header line starts with ``header``."""
    lines = text.splitlines()
    start = next(index for index, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    columns = [cell.strip() for cell in lines[start].strip("|").split("|")]
    return pd.DataFrame(rows, columns=columns)


def test_bench_smoke_run_at_1x_reports_what_it_built(tmp_path: Path) -> None:
    out = tmp_path / "results.md"
    completed = subprocess.run(
        [
            *(sys.executable, "bench/scale.py", "--sizes", "1", "--skip-rebuild"),
            *("--out", str(out), "--workdir", str(tmp_path)),
        ],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    text = out.read_text()

    steps = _table(text, "| size | rows | customers | step |").set_index("step")
    con = duckdb.connect(str(tmp_path / "1x" / "warehouse" / "retail.duckdb"), read_only=True)
    try:
        customers = con.execute("select count(*) from marts.customer_features").fetchone()
        loads = dict(con.execute("select load_id, row_count from raw.loads").fetchall())
    finally:
        con.close()
    raw = pd.read_csv(REAL_DATA, usecols=["InvoiceDate"], dtype=str)
    days = pd.to_datetime(raw["InvoiceDate"]).dt.date
    assert list(steps.index) == [
        "parse the dbt project",
        "ingest",
        "full build (trains)",
        "append one day: ingest",
        "append one day: build",
    ]
    assert steps.loc["ingest", "rows"] == f"{len(raw):,}" == f"{loads[1]:,}"
    assert customers is not None and steps.loc["ingest", "customers"] == f"{customers[0]:,}"
    assert int(steps.loc["append one day: ingest", "rows/s"].replace(",", "")) == pytest.approx(
        (days == days.max()).sum() / float(steps.loc["append one day: ingest", "wall s"]), rel=0.1
    )
    assert loads[2] == (days == days.max()).sum()  # the scheduled day: the last day again
    # The parse step parses the whole project; the builds after it reuse it (dbt's partial parsing).
    output = (tmp_path / "1x" / "output.log").read_text()
    assert output.count("Unable to do partial parsing") == 1 and steps.loc["parse the dbt project", "rows/s"] == "-"
    assert all(float(value) > 0 for value in steps["wall s"])
    assert all(0 < float(value) < 24 for value in steps["peak tree RSS GB"])
    targets = _table(text, "| size | target |")
    assert set(targets["target"]) == {"ingest + full build (s)"}  # the build reusing the champions was skipped
    full = float(steps.loc["ingest", "wall s"]) + float(steps.loc["full build (trains)", "wall s"])
    assert float(targets.set_index("target").loc["ingest + full build (s)", "measured"]) == pytest.approx(full, abs=0.1)
    slowest = _table(text, "| size | nodes (seconds) |").set_index("size").loc["1x", "nodes (seconds)"].split(", ")
    seconds = [float(node.rsplit(" ", 1)[1]) for node in slowest]
    assert len(slowest) == 8 and seconds == sorted(seconds, reverse=True)
    assert seconds[0] < float(steps.loc["full build (trains)", "wall s"])
    # The first build trains: a model fitting step is among its slowest nodes.
    assert any(node.startswith(("churn_scores", "ltv_scores", "customer_segments")) for node in slowest)
    # The machine line names the CPU and the speed probes taken before (as printed then) and after the runs.
    machine = next(line for line in text.splitlines() if "Machine:" in line)
    model = next(line for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name"))
    assert f"cores of {model.split(':', 1)[1].strip()}," in machine
    probes = re.search(r"speed probe [^)]*\) ([0-9.]+) s before the runs, ([0-9.]+) s after", machine)
    printed = re.search(r"^speed probe: ([0-9.]+) s$", completed.stdout, re.MULTILINE)
    assert probes and printed and probes.group(1) == printed.group(1) and float(probes.group(2)) > 0
