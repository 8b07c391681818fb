"""The console and dbt.log lines LevelLog writes are the lines dbt's own loggers write for the same command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from models_py.dbt_logging import LevelLog, level_log
from models_py.dbt_runner import _invoke

pytestmark = pytest.mark.integration

# What differs between two runs of one command: clock times, durations, the invocation id, colour codes, thread numbers.
_VOLATILE = [
    (re.compile(r"\d\d:\d\d:\d\d(\.\d+)?"), "<time>"),
    (re.compile(r"\d+\.\d+ ?s(econds)?"), "<seconds>"),
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<id>"),
    (re.compile(r"\x1b\[[0-9;]*m"), ""),
    (re.compile(r"Thread-\d+"), "Thread-N"),  # numbered by the process's count of threads so far
]


def _stable(text: str) -> list[str]:
    lines = []
    for line in text.splitlines():
        for pattern, replacement in _VOLATILE:
            line = pattern.sub(replacement, line)
        if line.strip():
            lines.append(line.rstrip())
    return lines


def _project(root: Path) -> Path:
    (root / "seeds").mkdir(parents=True)
    (root / "models").mkdir()
    (root / "seeds" / "people.csv").write_text("id,name\n1,ann\n2,bob\n")
    (root / "models" / "named.sql").write_text("select id, upper(name) as name from {{ ref('people') }}\n")
    (root / "models" / "schema.yml").write_text(
        "version: 2\nmodels:\n  - name: named\n    columns:\n      - name: id\n        data_tests: [unique, not_null]\n"
    )
    (root / "dbt_project.yml").write_text("name: logged\nversion: '1.0'\nconfig-version: 2\nprofile: logged\n")
    (root / "profiles.yml").write_text(
        f"logged:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: '{root / 'logged.duckdb'}'\n"
    )
    return root


def _build(root: Path, capsys: pytest.CaptureFixture[str], *, own: bool) -> tuple[list[str], list[str]]:
    """Console and dbt.log lines of `dbt build` on the project, written by LevelLog or by dbt."""
    command = ["build", "--project-dir", str(root), "--profiles-dir", str(root), "--log-path", str(root / "logs")]
    if own:
        # --log-path is one of the choices that leave dbt in charge: LevelLog gets the folder directly.
        log = LevelLog({"console": "info", "file": "info"}, root / "logs")
        from dbt.cli.main import dbtRunner

        try:
            result = dbtRunner(callbacks=[log]).invoke(log.command(command))
        finally:
            log.close()
    else:
        result = _invoke(None, [*command, "--log-level-file", "info"], str(root))
    assert result.success
    return _stable(capsys.readouterr().out), _stable((root / "logs" / "dbt.log").read_text())


def test_level_log_writes_the_lines_dbts_own_loggers_write(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dbt_console, dbt_file = _build(_project(tmp_path / "by_dbt"), capsys, own=False)
    own_console, own_file = _build(_project(tmp_path / "by_level_log"), capsys, own=True)

    assert any("OK created sql view model main.named" in line for line in dbt_console)
    assert own_console == dbt_console
    assert own_file == dbt_file
    assert not any("[debug]" in line for line in own_file)


def test_dbt_writes_its_own_log_for_debug_json_quiet_or_another_log_path() -> None:
    project = Path("/project")
    env = {"DBT_LOG_PATH": "/var/log/retail"}
    assert level_log(["build"], project, env).levels == {"console": "info", "file": "info"}  # type: ignore[union-attr]
    assert level_log(["build"], project, env).log_dir == Path("/var/log/retail")  # type: ignore[union-attr]
    assert level_log(["build", "--log-level", "none"], project, env).levels["console"] == "none"  # type: ignore[union-attr]
    assert level_log(["build", "--log-level-file=warn"], project, env).levels["file"] == "warn"  # type: ignore[union-attr]
    assert level_log(["build"], project, {**env, "DBT_LOG_LEVEL_FILE": "debug"}) is None
    assert level_log(["build", "--log-level", "debug"], project, env) is None
    assert level_log(["build", "--debug"], project, env) is None
    assert level_log(["build", "--log-format", "json"], project, env) is None
    assert level_log(["build", "-q"], project, env) is None
    assert level_log(["build", "--log-path", "/tmp"], project, env) is None
    assert level_log(["build"], project, {**env, "DBT_QUIET": "1"}) is None
    assert LevelLog({"console": "info", "file": "warn"}, Path("/x")).command(
        ["build", "--log-level", "warn", "--log-level-file=info", "--select", "a"]
    ) == ["build", "--select", "a", "--log-level", "none", "--log-level-file", "none"]
