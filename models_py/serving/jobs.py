"""Work that writes (ingest, build, replay), run by the dashboard in a background ``retail`` process.

One job at a time per warehouse: a second request is refused while one runs,
naming it and its start time. A job is a folder under ``jobs/`` beside the
warehouse holding its commands (``job.json``), the combined output of its
processes (``output.log``) and, once it ended, ``result.json``. The dashboard
reads only those files, so any browser tab (or a restarted dashboard) sees the
same job. A supervising process (``python -m models_py.serving.jobs DIR``) runs
the commands in order, stops at the first that fails, and writes the result.

Pause and stop are requests: files in the job folder that ``retail replay``
checks between batches (see :func:`control_requested`), so a replay stops with
its last batch fully built.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from models_py.errors import RetailError

JOB_DIR_ENV = "RETAIL_JOB_DIR"
JobState = Literal["running", "paused", "succeeded", "failed", "stopped"]
_LOG = "output.log"
_RESULT = "result.json"
_SPEC = "job.json"
_STOP = "stop"
_PAUSE = "pause"
# dbt's console: "12:00:01  17 of 190 OK created sql table model marts.fct_orders ....... [OK in 0.31s]"
_DBT_DONE = re.compile(r"^\S+\s+(\d+) of (\d+) (OK|PASS|WARN|ERROR|FAIL|SKIP)\b")
# retail replay, when its output is not a terminal: "batch 3 of 14: 2011-06-15 ..."
_BATCH_DONE = re.compile(r"^batch (\d+) of (\d+): (.*)$")
# dbt's summary of what failed, then the message on the next lines.
_DBT_FAILURE = re.compile(
    r"^(?:\d\d:\d\d:\d\d\s+)?((?:Failure|Database Error|Runtime Error|Compilation Error|Parsing Error) in .*)$"
)


class JobBusy(RetailError):
    """Another job is running on this warehouse."""


@dataclass(frozen=True)
class Progress:
    step: int  # 1-based index of the running command
    steps: int
    done: int  # nodes (dbt) or batches (replay) finished in this step
    total: int  # 0 until the step has said how many
    label: str

    @property
    def fraction(self) -> float:
        """Overall share done: finished steps plus the running step's share."""
        within = self.done / self.total if self.total else 0.0
        return min(1.0, (self.step - 1 + within) / self.steps)


@dataclass(frozen=True)
class JobStatus:
    directory: Path
    label: str
    commands: list[list[str]]
    started_at: datetime
    state: JobState
    returncode: int | None
    finished_at: datetime | None
    progress: Progress
    failure: str | None  # the failing node or command and its message
    log_tail: list[str]

    @property
    def finished(self) -> bool:
        return self.state in ("succeeded", "failed", "stopped")


def jobs_dir(warehouse_path: Path) -> Path:
    return warehouse_path.parent / "jobs"


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    # Two dashboard sessions pressing "build" at once: one starts, the other sees it running.
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / ".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A finished child that nobody waited for is a zombie: not running.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return True


def latest_job(warehouse_path: Path) -> JobStatus | None:
    """The most recent job on this warehouse, running or finished."""
    root = jobs_dir(warehouse_path)
    candidates = sorted(path for path in root.glob("job-*") if (path / _SPEC).exists()) if root.exists() else []
    return read_status(candidates[-1]) if candidates else None


def running_job(warehouse_path: Path) -> JobStatus | None:
    job = latest_job(warehouse_path)
    return job if job is not None and not job.finished else None


def start_job(
    warehouse_path: Path, label: str, commands: Sequence[Sequence[str]], env: Mapping[str, str] | None = None
) -> JobStatus:
    """Start ``commands`` (argument lists, never a shell line) one after the other in the background.

    Raises :class:`JobBusy` while another job runs on the same warehouse.
    """
    if not commands:
        raise RetailError("a job needs at least one command")
    root = jobs_dir(warehouse_path)
    with _locked(root):
        running = running_job(warehouse_path)
        if running is not None:
            raise JobBusy(
                f"{running.label} is running since {running.started_at:%H:%M} "
                f"({running.started_at:%Y-%m-%d}); wait for it to finish, then try again"
            )
        started = datetime.now()
        directory = root / f"job-{started:%Y%m%d-%H%M%S-%f}"
        directory.mkdir()
        spec = {"label": label, "commands": [list(map(str, command)) for command in commands]}
        (directory / _SPEC).write_text(json.dumps({**spec, "started_at": started.isoformat()}))
        (directory / _LOG).touch()
        process = subprocess.Popen(
            [sys.executable, "-m", "models_py.serving.jobs", str(directory)],
            # Plain text in the log: dbt colours its console unless told not to.
            env={**(env if env is not None else os.environ), JOB_DIR_ENV: str(directory), "DBT_USE_COLORS": "false"},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # outlives a dashboard restart
        )
        (directory / "pid").write_text(str(process.pid))
    return read_status(directory)


def request(directory: Path, what: Literal["stop", "pause", "resume"]) -> None:
    """Ask the job to stop or pause after its current batch, or to resume."""
    if what == "resume":
        (directory / _PAUSE).unlink(missing_ok=True)
    else:
        (directory / (_STOP if what == "stop" else _PAUSE)).touch()


def control_requested(poll_seconds: float = 0.5) -> bool:
    """For a job's process between two units of work: wait while paused; True when a stop was asked for.

    Outside a job (no RETAIL_JOB_DIR) it returns False at once.
    """
    directory = os.environ.get(JOB_DIR_ENV)
    if not directory:
        return False
    job = Path(directory)
    while (job / _PAUSE).exists() and not (job / _STOP).exists():
        time.sleep(poll_seconds)
    return (job / _STOP).exists()


def stop_was_requested() -> bool:
    """Whether this job (RETAIL_JOB_DIR) was asked to stop, without waiting on a pause."""
    directory = os.environ.get(JOB_DIR_ENV)
    return bool(directory) and (Path(str(directory)) / _STOP).exists()


def read_status(directory: Path) -> JobStatus:
    spec = json.loads((directory / _SPEC).read_text())
    lines = (directory / _LOG).read_text(errors="replace").splitlines() if (directory / _LOG).exists() else []
    result = json.loads((directory / _RESULT).read_text()) if (directory / _RESULT).exists() else None
    commands = spec["commands"]
    state: JobState
    if result is not None:
        state = result["state"]
    else:
        pid_file = directory / "pid"
        alive = not pid_file.exists() or _pid_alive(int(pid_file.read_text() or 0))
        if alive:
            state = "paused" if (directory / _PAUSE).exists() else "running"
        else:
            state = "failed"
            result = {"returncode": None, "finished_at": None, "failure": "the job's process ended without a result"}
    return JobStatus(
        directory=directory,
        label=spec["label"],
        commands=commands,
        started_at=datetime.fromisoformat(spec["started_at"]),
        state=state,
        returncode=result["returncode"] if result else None,
        finished_at=datetime.fromisoformat(result["finished_at"]) if result and result["finished_at"] else None,
        progress=parse_progress(lines, commands),
        failure=(result or {}).get("failure") or (failure_of(lines) if state == "failed" else None),
        log_tail=lines[-40:],
    )


def parse_progress(lines: Sequence[str], commands: Sequence[Sequence[str]]) -> Progress:
    """Where the job is, from its output: the step (marked by the supervisor) and dbt's or replay's counters."""
    step, done, total, label = 0, 0, 0, " ".join(commands[0]) if commands else ""
    finished_nodes: set[int] = set()
    for line in lines:
        if line.startswith("$ "):  # the supervisor's marker before each command
            step, done, total, label, finished_nodes = step + 1, 0, 0, line[2:], set()
        elif match := _DBT_DONE.match(line):
            finished_nodes.add(int(match[1]))
            done, total = len(finished_nodes), int(match[2])
        elif match := _BATCH_DONE.match(line):
            done, total = int(match[1]), int(match[2])
    return Progress(step=max(1, step), steps=max(1, len(commands)), done=done, total=total, label=label)


def failure_of(lines: Sequence[str]) -> str | None:
    """The first failing dbt node with its message, else the last ``error:`` line of a ``retail`` command."""
    for index, line in enumerate(lines):
        if match := _DBT_FAILURE.match(line):
            detail = [text.strip() for text in lines[index + 1 : index + 4] if text.strip()]
            return " ".join([match[1], *detail])
    errors = [line for line in lines if line.startswith("error: ")]
    return errors[-1][len("error: ") :] if errors else None


def _supervise(directory: Path) -> int:
    """Run the job's commands in order, output appended to its log; record the result."""
    spec = json.loads((directory / _SPEC).read_text())
    returncode, state = 0, "succeeded"
    with (directory / _LOG).open("a", buffering=1) as log:
        for command in spec["commands"]:
            log.write(f"$ {' '.join(command)}\n")
            # "retail ...": this interpreter's package, whether or not the script is on the PATH.
            argv = [sys.executable, "-m", "models_py", *command[1:]] if command[0] == "retail" else command
            returncode = subprocess.run(argv, stdout=log, stderr=subprocess.STDOUT, check=False).returncode
            if returncode != 0:
                state = "failed"
                break
            if (directory / _STOP).exists():
                state = "stopped"
                break
    lines = (directory / _LOG).read_text(errors="replace").splitlines()
    result = {
        "state": state,
        "returncode": returncode,
        "finished_at": datetime.now().isoformat(),
        "failure": failure_of(lines) if state == "failed" else None,
    }
    (directory / (_RESULT + ".tmp")).write_text(json.dumps(result))
    os.replace(directory / (_RESULT + ".tmp"), directory / _RESULT)
    return returncode


if __name__ == "__main__":
    sys.exit(_supervise(Path(sys.argv[1])))
