"""Replay: feed loaded history to a fresh warehouse in chronological batches, building after each.

The streaming simulation of a scheduled deployment: every batch becomes an
appended load (as ``retail ingest --append`` would make), then ``dbt build``
runs incrementally on it with as_of_date = the day after the batch's last
transaction. Segment history, transitions, drift and the action outbox then
accumulate exactly as they would in production.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import duckdb

from models_py.dbt_runner import DbtOutcome, DbtSession, production_build
from models_py.errors import RetailError
from models_py.ingest.loading import MOVED_TO_LOADS, create_raw_tables, next_load_id
from models_py.settings import Settings, default_published_path, project_var
from models_py.warehouse import column_names, connect

BatchBy = Literal["day", "week", "rows"]
# The first build needs two churn horizons of history (fit and validation
# snapshots) plus a month for the fit snapshot to hold customers.
_FIRST_BUILD_MARGIN_DAYS = 30


@dataclass(frozen=True)
class ReplayOptions:
    by: BatchBy = "week"
    rows: int = 50_000
    start: date | None = None
    end: date | None = None
    refit_every: int = 1


@dataclass(frozen=True)
class Batch:
    number: int
    first_at: datetime | None
    last_at: datetime | None
    rows: int

    @property
    def label(self) -> str:
        return f"{self.last_at:%Y-%m-%d}" if self.last_at else "undated rows"


@dataclass(frozen=True)
class BatchResult:
    batch: Batch
    seconds: float
    outcome: DbtOutcome


def replay_settings(settings: Settings, into: Path) -> Settings:
    """Settings of the replay warehouse: its own file, MLflow store and publication, never the source's."""
    return replace(
        settings,
        warehouse_path=into,
        tracking_uri=f"sqlite:///{into.parent / (into.stem + '_mlflow.db')}",
        published_path=default_published_path(into),
    )


def default_start_days(project_dir: Path) -> int:
    """Days after the first transaction where a replay starts by default: the history the first training needs."""
    return 2 * int(str(project_var(project_dir, "churn_horizon_days"))) + _FIRST_BUILD_MARGIN_DAYS


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


def _rows_with_reading(con: duckdb.DuckDBPyConnection) -> str:
    """The source's raw rows, each with how its load was read (MOVED_TO_LOADS's columns, by their old
    names): from raw.loads, or from the row itself where the source was loaded before 2026-12."""
    on_rows = column_names(con, "raw", "transactions", catalog="source")
    on_loads = column_names(con, "raw", "loads", catalog="source")
    reading = ", ".join(
        f"{'rows.' + old if old in on_rows else 'loads.' + new if new in on_loads else 'null'} as {old}"
        for old, new in MOVED_TO_LOADS.items()
    )
    kept = ", ".join(f"rows.{name}" for name in sorted(on_rows - set(MOVED_TO_LOADS)))
    return (
        f"select {kept}, {reading} from source.raw.transactions as rows "
        "left join source.raw.loads as loads on rows._load_id = loads.load_id"
    )


def plan_batches(source: Path, scratch: Path, options: ReplayOptions, default_start_days: int) -> list[Batch]:
    """Number every source row with its batch in ``scratch`` (table replay_rows) and list the batches.

    Rows before the start form batch 1 (the history a deployment starts with);
    rows after the end are not replayed; rows whose date does not parse go in
    batch 1, where the cleaning rules count them.
    """
    if options.by == "rows" and options.rows < 1:
        raise RetailError(f"--rows must be a positive number of rows per batch, got {options.rows}")
    if not source.exists():
        raise RetailError(f"warehouse {source} does not exist: load a file with `retail ingest FILE` first")
    with connect(scratch) as con:
        con.execute(f"attach '{_quoted(source)}' as source (read_only)")
        loaded = con.execute(
            "select count(*) from information_schema.tables "
            "where table_catalog = 'source' and table_schema = 'raw' and table_name = 'transactions'"
        ).fetchone()
        if not loaded or not loaded[0]:
            raise RetailError(f"{source}: no transactions loaded; load a file with `retail ingest FILE` first")
        source_rows = _rows_with_reading(con)
        # strptime needs a constant format: one branch per format the loads detected.
        formats = [row[0] for row in con.execute(f"select distinct _datetime_format from ({source_rows})").fetchall()]
        branches = " ".join(
            f"when '{quoted}' then try_strptime(order_datetime, '{quoted}')"
            for quoted in (str(fmt).replace("'", "''") for fmt in formats if fmt)
        )
        parsed = f"case _datetime_format {branches} end" if branches else "cast(null as timestamp)"
        con.execute(f"create or replace table stamped as select *, {parsed} as replay_at from ({source_rows})")
        first_row = con.execute("select min(replay_at), max(replay_at) from stamped").fetchone()
        if first_row is None or first_row[0] is None:
            raise RetailError(f"{source}: no transaction has a parseable date; nothing to replay")
        first_at, last_at = first_row
        start = options.start or (first_at.date() + timedelta(days=default_start_days))
        end = options.end or last_at.date()
        if start > end:
            raise RetailError(
                f"replay start {start} is after its end {end} (data runs {first_at:%Y-%m-%d} to {last_at:%Y-%m-%d})"
            )
        if options.by == "rows":
            chunk = (
                f"ceil(row_number() over (partition by replay_at >= '{start}' "
                f"order by replay_at, _load_id, _source_row_number) / {options.rows})"
            )
            later = f"case when replay_at >= '{start}' then {chunk} end"
        else:
            later = f"case when replay_at >= '{start}' then date_trunc('{options.by}', replay_at) end"
        con.execute(
            f"""
            create or replace table replay_rows as
            with keyed as (
                select *, {later} as batch_key
                from stamped
                where replay_at is null or replay_at < cast('{end}' as date) + interval 1 day
            )
            select
                * exclude (batch_key),
                case when batch_key is null then 1 else 1 + dense_rank() over (order by batch_key) end as batch
            from keyed
            """
        )
        # Batches numbered 1, 2, ... whether or not there was history before the
        # start; row numbers made unique within a batch, which may merge loads.
        con.execute(
            """
            create or replace table replay_rows as
            select
                * exclude (batch, _source_row_number),
                row_number() over (partition by batch order by _load_id, _source_row_number) as _source_row_number,
                dense_rank() over (order by batch) as batch
            from replay_rows
            """
        )
        rows = con.execute(
            "select batch, min(replay_at), max(replay_at), count(*) from replay_rows group by batch order by batch"
        ).fetchall()
        con.execute("drop table stamped")
    return [Batch(int(number), first, last, int(count)) for number, first, last, count in rows]


def append_batch(warehouse: Path, scratch: Path, batch: Batch, memory_limit: str) -> None:
    """Load one batch into the replay warehouse, verbatim, like ``retail ingest --append``: one load per
    way of reading its rows (date format, decimal separator, ...; one load unless the source's loads differ)."""
    loaded_at = datetime.now(UTC).replace(tzinfo=None)
    with connect(warehouse, memory_limit=memory_limit) as con:
        create_raw_tables(con)
        con.execute(f"attach '{_quoted(scratch)}' as scratch (read_only)")
        con.execute("begin transaction")
        # In the order of the source's loads.
        ways = con.execute(
            f"select {', '.join(MOVED_TO_LOADS)}, count(*) from scratch.replay_rows where batch = ? "
            "group by all order by min(_load_id)",
            [batch.number],
        ).fetchall()
        for *reading, rows in ways:
            _append_load(con, batch, dict(zip(MOVED_TO_LOADS, reading, strict=True)), int(rows), loaded_at)
        con.execute("commit")
        con.execute("detach scratch")


def _append_load(
    con: duckdb.DuckDBPyConnection, batch: Batch, reading: dict[str, Any], rows: int, loaded_at: datetime
) -> None:
    """The batch's rows read one way (``reading``: MOVED_TO_LOADS's values), as a new load."""
    load_id = next_load_id(con)
    same_way = " and ".join(f"{column} is not distinct from ?" for column in reading)
    con.execute(
        f"""
        insert into raw.transactions by name
        select * exclude (replay_at, batch, {", ".join(reading)}) replace (? as _load_id, ? as _loaded_at)
        from scratch.replay_rows
        where batch = ? and {same_way}
        """,
        [load_id, loaded_at, batch.number, *reading.values()],
    )
    con.execute(
        "insert into raw.loads (load_id, source_file, file_sha256, file_bytes, row_count, bad_row_count, "
        "mode, mapping_json, datetime_format, loaded_at, file_name, decimal_separator, cancellation_prefix) "
        "values (?, ?, '', 0, ?, 0, ?, '{}', ?, ?, ?, ?, ?)",
        [
            load_id,
            f"replay batch {batch.number}",
            rows,
            "replace" if load_id == 1 else "append",
            reading["_datetime_format"] or "",
            loaded_at,
            reading["_source_file"],
            reading["_decimal_separator"],
            reading["_cancellation_prefix"],
        ],
    )


def run_replay(
    settings: Settings,
    source: Path,
    options: ReplayOptions,
    on_batch: Callable[[BatchResult, int], None] = lambda result, total: None,
    stop_requested: Callable[[], bool] = lambda: False,
) -> list[BatchResult]:
    """Replay ``source``'s raw transactions into ``settings.warehouse_path`` (which must not exist yet).

    One dbt session serves every batch, so dbt parses the project once.
    ``on_batch`` gets each result and the number of batches (for progress);
    ``stop_requested`` is asked after each batch (it may also wait, to pause):
    a stop leaves the warehouse as the last batch's build left it.
    A batch whose models fail stops the replay; failing data tests (drift, for
    example) are reported and the replay goes on, as a scheduler would.
    """
    target = settings.warehouse_path
    if target.resolve() == source.resolve():
        raise RetailError(f"replay needs its own warehouse; {target} is the source")
    if target.exists():
        raise RetailError(f"{target} exists; replay builds a fresh warehouse: pass --force to replace it")
    if options.refit_every < 1:
        raise RetailError(f"--refit-every must be at least 1, got {options.refit_every}")
    scratch = target.with_name(target.stem + ".replay_rows.duckdb")
    scratch.unlink(missing_ok=True)
    default_start = default_start_days(settings.project_dir)
    try:
        batches = plan_batches(source, scratch, options, default_start)
        variables: dict[str, object] = {}
        if options.refit_every > 1:
            variables = {"segment_refit_every": options.refit_every, "segmentation_algorithm": "minibatch_kmeans"}
        session = DbtSession(settings, reuse_manifest=True)
        results = []
        for batch in batches:
            started = time.perf_counter()
            append_batch(target, scratch, batch, settings.memory_limit)
            # The console shows the progress bar; everything dbt says goes to logs/dbt.log.
            outcome = session.invoke(production_build(["--log-level", "none"]), variables=variables)
            result = BatchResult(batch, time.perf_counter() - started, outcome)
            results.append(result)
            on_batch(result, len(batches))
            broken = [node for node in outcome.failed if not node.startswith("test.")]
            if broken:
                raise RetailError(
                    f"replay stopped at batch {batch.number} ({batch.label}): dbt failed on "
                    f"{', '.join(broken)}; see logs/dbt.log"
                )
            if stop_requested():
                break
        return results
    finally:
        scratch.unlink(missing_ok=True)
