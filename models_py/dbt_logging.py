"""dbt's console and ``dbt.log`` lines at info level, written by a dbtRunner callback instead of dbt's loggers.

dbt builds each event's line for every logger before the logger's level drops it: a build fires
thousands of debug events (every statement dbt runs, every cache action), and formatting them for
the console and the file, both at info, cost 0.4-0.5 s of a 12 s build at 1x the sample. With
dbt's own loggers off (``--log-level none --log-level-file none``), ``LevelLog`` hands the same
events to dbt's own line writers after checking the level: the same lines in the same places.
A user's debug, JSON, quiet, colour or log-path choice leaves dbt's loggers in charge.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

# dbt's own levels, lowest first ("test" is dbt's level between debug and info).
_LEVELS = ("debug", "test", "info", "warn", "error")
# Levels this module writes itself; "debug" (a log of every statement) is dbt's to write.
_HANDLED = {"none", "info", "warn", "error"}
_LEVEL_FLAGS = {"--log-level": "console", "--log-level-file": "file"}
# Any other logging choice, as a flag or as dbt's environment variable, keeps dbt's loggers.
_OTHER_FLAGS = (
    "--log-format",
    "--log-format-file",
    "--log-path",
    "--debug",
    "-d",
    "--quiet",
    "-q",
    "--use-colors",
    "--no-use-colors",
    "--use-colors-file",
    "--no-use-colors-file",
    "--log-cache-events",
    "--log-file-max-bytes",
)
_OTHER_ENV = (
    "DBT_LOG_FORMAT",
    "DBT_LOG_FORMAT_FILE",
    "DBT_DEBUG",
    "DBT_QUIET",
    "DBT_USE_COLORS",
    "DBT_USE_COLORS_FILE",
    "DBT_LOG_CACHE_EVENTS",
    "DBT_LOG_FILE_MAX_BYTES",
)
_FILE_MAX_BYTES = 10 * 1024 * 1024  # dbt's default: rotated at 10 MB, five old files kept


def chosen_levels(args: Sequence[str], environ: Mapping[str, str]) -> dict[str, str] | None:
    """The console and file levels ``args`` and ``environ`` ask dbt for, if ``LevelLog`` can write them."""
    levels = {
        "console": environ.get("DBT_LOG_LEVEL") or "info",
        "file": environ.get("DBT_LOG_LEVEL_FILE") or "info",
    }
    for index, arg in enumerate(args):
        flag, _, value = arg.partition("=")
        if flag in _LEVEL_FLAGS:
            levels[_LEVEL_FLAGS[flag]] = value or (args[index + 1] if index + 1 < len(args) else "")
        elif flag in _OTHER_FLAGS:
            return None
    if any(environ.get(name) for name in _OTHER_ENV) or not set(levels.values()) <= _HANDLED:
        return None
    return levels


def _without_level_flags(args: Sequence[str]) -> list[str]:
    kept: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in _LEVEL_FLAGS:
            skip = True
        elif arg.partition("=")[0] not in _LEVEL_FLAGS:
            kept.append(arg)
    return kept


class LevelLog:
    """A dbtRunner callback writing dbt's console and file lines at ``levels`` (``chosen_levels``)."""

    def __init__(self, levels: Mapping[str, str], log_dir: Path) -> None:
        self.levels = dict(levels)
        self.log_dir = log_dir
        self._loggers: list[tuple[int, Any]] | None = None

    def command(self, args: Sequence[str]) -> list[str]:
        """``args`` with dbt's own loggers turned off: this callback writes their lines."""
        return [*_without_level_flags(args), "--log-level", "none", "--log-level-file", "none"]

    def __call__(self, msg: Any) -> None:
        rank = _LEVELS.index(msg.info.level) if msg.info.level in _LEVELS else len(_LEVELS)
        if rank < _LEVELS.index("info"):
            return
        for threshold, logger in self._open():
            if rank >= threshold and logger.filter(msg):
                logger.write_line(msg)

    def _open(self) -> list[tuple[int, Any]]:
        # Built at the first event, once dbt has set the invocation id the file's separator line names.
        if self._loggers is None:
            from dbt_common.events.base_types import EventLevel
            from dbt_common.events.event_manager import EventManager
            from dbt_common.events.functions import env_scrubber, get_stdout_config
            from dbt_common.events.logger import LineFormat, LoggerConfig
            from dbt_common.invocation import get_invocation_id

            configs = []
            if self.levels["console"] != "none":
                configs.append(get_stdout_config(LineFormat.PlainText, True, EventLevel(self.levels["console"]), False))
            if self.levels["file"] != "none":
                self.log_dir.mkdir(parents=True, exist_ok=True)
                configs.append(
                    LoggerConfig(
                        name="file_log",
                        line_format=LineFormat.DebugText,
                        use_colors=True,
                        level=EventLevel(self.levels["file"]),
                        scrubber=env_scrubber,
                        invocation_id=get_invocation_id(),
                        output_file_name=str(self.log_dir / "dbt.log"),
                        output_file_max_bytes=_FILE_MAX_BYTES,
                    )
                )
            writers = EventManager()
            for config in configs:
                writers.add_logger(config)
            self._loggers = [(_LEVELS.index(logger.level.value), logger) for logger in writers.loggers]
        return self._loggers

    def close(self) -> None:
        """Close the file (a long session, e.g. a replay, runs many invocations); the next event reopens it."""
        for _, logger in self._loggers or ():
            python_logger = logging.getLogger(logger.name)
            for handler in list(python_logger.handlers):
                handler.close()
                python_logger.removeHandler(handler)
        self._loggers = None


def level_log(args: Sequence[str], project_dir: Path, environ: Mapping[str, str] | None = None) -> LevelLog | None:
    """A ``LevelLog`` for a dbt command run with ``args``, or None when dbt's loggers must write (see module)."""
    env = os.environ if environ is None else environ
    levels = chosen_levels(args, env)
    if levels is None:
        return None
    from dbt.cli.resolvers import default_log_path  # where dbt's file logger would write: the project's log-path

    return LevelLog(levels, Path(env.get("DBT_LOG_PATH") or default_log_path(project_dir)))
