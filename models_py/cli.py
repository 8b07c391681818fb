"""The ``retail`` command line: demo data, ingestion, and the dbt build."""

from __future__ import annotations

import atexit
import contextlib
import ipaddress
import os
import sys
import time
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from models_py.dbt_runner import DbtOutcome, production_build, release_warehouse, run_dbt
from models_py.errors import RetailError
from models_py.ingest.demo_data import DemoDataConfig, write_demo_data
from models_py.ingest.loading import CURRENT_LOADS, ingest_file
from models_py.ingest.mapping import load_mapping
from models_py.publish import Publication, open_published, publish, read_publication
from models_py.saved_vars import read_saved_vars, saved_vars_path
from models_py.serving.jobs import control_requested, stop_was_requested
from models_py.settings import API_KEY_ENV, Settings
from models_py.warehouse import connect, table_exists

if TYPE_CHECKING:
    import duckdb

    from models_py.backtest import DateResult
    from models_py.replay import BatchResult


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """retail-retention: raw e-commerce transactions in; segments, churn risk, lifetime value
    and retention actions out, in a DuckDB warehouse built by dbt.

    The warehouse file is warehouse/retail.duckdb unless RETAIL_WAREHOUSE names another;
    readers (BI, the API, Evidence) use its published copy in warehouse/published/.
    """


@cli.command("demo-data")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="Output file (.csv, .csv.gz or .parquet). Default: warehouse/demo/online_retail_demo.csv.gz",
)
@click.option("--rows", type=int, default=500_000, show_default=True, help="Approximate number of rows.")
@click.option(
    "--customers",
    type=int,
    default=None,
    help="Number of identified customers (overrides the count derived from --rows).",
)
@click.option("--seed", type=int, default=42, show_default=True, help="Random seed.")
def demo_data(out: Path | None, rows: int, customers: int | None, seed: int) -> None:
    """Write a deterministic synthetic dataset shaped like UCI Online Retail."""
    settings = Settings.from_env()
    target = out or settings.demo_data_path
    config = DemoDataConfig(rows=rows, customers=customers, seed=seed, memory_limit=settings.memory_limit)
    written = write_demo_data(target, config)
    click.echo(f"wrote {written:,} rows to {target}")


@cli.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--mapping",
    "mapping_path",
    type=click.Path(path_type=Path),
    default=None,
    help="JSON/YAML file mapping canonical fields to the file's columns.",
)
@click.option("--append", is_flag=True, help="Add the file as a new batch instead of replacing all loaded data.")
@click.option("--force", is_flag=True, help="With --append: load a file even if it was loaded before.")
@click.option(
    "--max-bad-share",
    type=float,
    default=None,
    help="Refuse the load when more than this share of rows has an unparseable "
    "date or number (default 0.01, or RETAIL_MAX_BAD_SHARE).",
)
def ingest(path: Path, mapping_path: Path | None, append: bool, force: bool, max_bad_share: float | None) -> None:
    """Load a CSV, CSV.gz, Excel or Parquet file of transactions into raw.transactions."""
    settings = Settings.from_env()
    mapping = load_mapping(mapping_path) if mapping_path else None
    result = ingest_file(
        path,
        settings.warehouse_path,
        mapping,
        append=append,
        force=force,
        max_bad_share=settings.max_bad_share if max_bad_share is None else max_bad_share,
        memory_limit=settings.memory_limit,
    )
    replaced = f", replacing {result.replaced_rows:,} rows" if result.replaced_rows else ""
    reading = result.reading
    read_as = f"{reading.encoding}, " if reading.encoding else ""
    delimiter = {"\t": "tab"}.get(reading.delimiter or "", reading.delimiter)
    read_as += f"delimiter {delimiter!r}, " if delimiter else ""
    click.echo(
        f"load {result.load_id}: {result.rows:,} rows from {path} into raw.transactions "
        f"({result.bad_rows:,} kept with a parse error; read as {read_as}dates {reading.datetime_format}, "
        f"decimal {reading.decimal_separator!r}{replaced})"
    )
    if reading.datetime_format_also_fits:
        others = " or ".join(reading.datetime_format_also_fits)
        click.echo(
            f"note: the dates in {path.name} read as {others} too; {reading.datetime_format} was chosen (the "
            "earlier loads' format when appending and it fits, else the first known format that fits). "
            f'To read them otherwise, set "datetime_format" in a mapping (README, "Use your own data") '
            "and load the file again"
        )


@cli.command("export-raw")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder for the Parquet (default: RETAIL_RAW_PARQUET, else warehouse/raw_parquet beside the warehouse).",
)
def export_raw_command(out: Path | None) -> None:
    """Write the loaded raw.transactions and raw.loads as Parquet, for `dbt build --target spark`."""
    from models_py.ingest.raw_export import export_raw

    settings = Settings.from_env()
    target = out or settings.raw_parquet_path
    counts = export_raw(settings.warehouse_path, target, memory_limit=settings.memory_limit)
    listed = ", ".join(f"raw.{table} {rows:,} rows" for table, rows in counts.items())
    click.echo(f"wrote {listed} to {target}/ (RETAIL_RAW_PARQUET={target.resolve()} for the Spark target)")


@cli.command(context_settings={"ignore_unknown_options": True})
@click.option("--as-of-date", default=None, help="Feature cutoff YYYY-MM-DD (default: day after the last transaction).")
@click.option(
    "--demo-rows",
    type=int,
    default=500_000,
    show_default=True,
    help="Size of the demo dataset generated when nothing is loaded yet.",
)
@click.argument("dbt_args", nargs=-1, type=click.UNPROCESSED)
def build(as_of_date: str | None, demo_rows: int, dbt_args: tuple[str, ...]) -> None:
    """Run `dbt build`, first loading the demo dataset if the warehouse holds no data.

    Extra arguments go to dbt, e.g. `retail build --select marts`.
    """
    settings = Settings.from_env()
    if not _has_loaded_data(settings):
        target = settings.demo_data_path
        click.echo(f"no transactions loaded yet: generating demo data ({demo_rows:,} rows)")
        write_demo_data(target, DemoDataConfig(rows=demo_rows, memory_limit=settings.memory_limit))
        result = ingest_file(target, settings.warehouse_path, memory_limit=settings.memory_limit)
        click.echo(f"load {result.load_id}: {result.rows:,} demo rows into raw.transactions")
    args, variables = _split_vars(dbt_args)
    saved = read_saved_vars(saved_vars_path(settings.warehouse_path))
    if saved:
        click.echo(f"vars saved in {saved_vars_path(settings.warehouse_path)}: {saved}")
        variables = {**saved, **variables}
    if as_of_date:
        variables.pop("as_of_date", None)  # the flag wins over a saved or --vars date, as it did as a var
    outcome = run_dbt(settings, production_build(args), variables=variables, as_of_date=as_of_date)
    if not outcome.success and _retrain_on_drift(settings, outcome):
        outcome = run_dbt(
            settings, production_build(args), variables={**variables, "retrain": True}, as_of_date=as_of_date
        )
    if not outcome.success:
        click.echo(f"build failed: the publication at {settings.published_path} was left as it was", err=True)
        sys.exit(1)
    partial = sorted({arg.split("=", 1)[0] for arg in args} & PARTIAL_BUILD_FLAGS)
    if partial:
        click.echo(
            f"partial build ({', '.join(partial)}): not published, so readers keep the last full build; "
            "`retail publish` publishes the warehouse as it is"
        )
        return
    # The build's last node (reporting.publication) has published it.
    with open_published(settings.published_path) as con:
        _echo_published(read_publication(con, settings.published_path))
    _write_report(settings)


# A build limited by these leaves some tables from an earlier build: the
# publication node does not publish it (a mix of two builds).
PARTIAL_BUILD_FLAGS = frozenset({"-s", "--select", "-m", "--models", "--exclude", "--selector", "--empty"})


def _echo_published(publication: Publication) -> None:
    click.echo(
        f"published {len(publication.row_counts)} tables (as_of_date {publication.as_of_date}) "
        f"to {publication.path} for BI tools, the API and Evidence"
    )


def _write_report(settings: Settings) -> None:
    from models_py.reporting.strategic import write_strategic_report  # late: each command imports what it uses

    written = write_strategic_report(settings.published_path, settings.reports_dir)
    click.echo(f"strategic report: {written.markdown_path} and {written.html_path}")


@cli.command("publish")
def publish_command() -> None:
    """Publish the warehouse as it is for readers and write the strategic report.

    Every complete `dbt build` (plain or through `retail build`) publishes as
    its last node; run this after a partial build, or after reviewing a build
    that failed a test. The published copy (warehouse/published/retail.duckdb,
    or RETAIL_PUBLISHED_WAREHOUSE) is swapped in atomically: readers see the
    previous or the new publication.
    """
    settings = Settings.from_env()
    _echo_published(publish(settings.warehouse_path, settings.published_path))
    _write_report(settings)


@cli.command()
def report() -> None:
    """Write the strategic report (Markdown and HTML) from the published warehouse."""
    _write_report(Settings.from_env())


@cli.group()
def export() -> None:
    """Export the published warehouse for other tools."""


@export.command("evidence")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    required=True,
    help="Folder for the Evidence project (created; files the export does not write are kept).",
)
def export_evidence_command(out: Path) -> None:
    """Write an Evidence project (pages, source queries, pinned npm packages) reading the published warehouse."""
    from models_py.reporting.evidence import export_evidence

    settings = Settings.from_env()
    written = export_evidence(settings.published_path, out)
    click.echo(
        f"wrote {len(written)} files to {out}; then: cd {out} && npm install && npm run sources && npm run build"
    )


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", type=int, default=8000, show_default=True, help="Port to listen on.")
@click.option(
    "--insecure", is_flag=True, help="Listen on a non-loopback interface without an API key (RETAIL_API_KEY)."
)
def serve(host: str, port: int, insecure: bool) -> None:
    """Start the scoring API on the published warehouse (OpenAPI docs at /docs).

    With RETAIL_API_KEY set, requests must send it in the X-API-Key header.
    Listening beyond this machine (e.g. --host 0.0.0.0) needs the key, or --insecure.
    """
    settings = Settings.from_env()
    if settings.api_key is None and not insecure and not _is_loopback(host):
        raise RetailError(
            f"--host {host} would serve customer data to the network without an API key: set "
            f"{API_KEY_ENV} (clients send it in the X-API-Key header), or pass --insecure"
        )
    import uvicorn

    from models_py.serving.api import create_app

    uvicorn.run(create_app(settings), host=host, port=port)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", type=int, default=8501, show_default=True, help="Port to listen on.")
@click.option(
    "--insecure",
    is_flag=True,
    help="Listen on a non-loopback interface (the dashboard has no login: anyone who "
    "reaches it sees customer data and can start builds).",
)
def dashboard(host: str, port: int, insecure: bool) -> None:
    """Start the interactive dashboard (Streamlit) on the published warehouse.

    Pages: Overview, Segments (and a comparison of algorithms), Customers, Movements (and
    the streaming simulation), Data (upload, map, ingest, build) and Models. Builds,
    ingests and replays it starts run in the background, one at a time.
    """
    settings = Settings.from_env()
    if not insecure and not _is_loopback(host):
        raise RetailError(
            f"--host {host} would serve customer data and build controls to the network without a login: "
            "put the dashboard behind an authenticating proxy and pass --insecure"
        )
    from streamlit.web import cli as streamlit_cli

    script = Path(__file__).resolve().parent / "serving" / "dashboard.py"
    os.environ.update(settings.dbt_env())  # the background jobs and the pages use the same warehouse
    sys.argv = [
        "streamlit",
        "run",
        str(script),
        f"--server.address={host}",
        f"--server.port={port}",
        f"--server.maxUploadSize={settings.upload_limit_mb}",
        "--server.headless=true",
        "--browser.gatherUsageStats=false",
        "--server.fileWatcherType=none",
    ]
    sys.exit(streamlit_cli.main())


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to any interface


@cli.command()
@click.option("--serve", "serve_site", is_flag=True, help="Then serve the site (dbt docs serve).")
@click.option("--port", type=int, default=8080, show_default=True, help="Port for --serve.")
def docs(serve_site: bool, port: int) -> None:
    """Generate the dbt docs lineage site, also as one static HTML file (target/static_index.html)."""
    settings = Settings.from_env()
    _run_dbt_or_exit(settings, ["docs", "generate", "--static"])
    target = Path(os.environ.get("DBT_TARGET_PATH") or settings.project_dir / "target")
    click.echo(f"docs site: {target / 'index.html'}; single file: {target / 'static_index.html'}")
    if serve_site:
        _run_dbt_or_exit(settings, ["docs", "serve", "--port", str(port)])


def _split_vars(dbt_args: tuple[str, ...]) -> tuple[list[str], dict[str, object]]:
    """The dbt arguments without ``--vars``, and its YAML as a dict (merged with ours, not overridden)."""
    import yaml

    args, variables = list(dbt_args), {}
    while "--vars" in args:
        index = args.index("--vars")
        if index + 1 >= len(args):
            raise RetailError("--vars needs a value, e.g. --vars '{retrain_policy: on_drift}'")
        parsed = yaml.safe_load(args[index + 1])
        if not isinstance(parsed, dict):
            raise RetailError(f"--vars must be a YAML mapping, e.g. '{{retrain: true}}'; got {args[index + 1]!r}")
        variables.update(parsed)
        del args[index : index + 2]
    return args, variables


def _retrain_on_drift(settings: Settings, outcome: DbtOutcome) -> bool:
    """Under retrain_policy on_drift, a build whose only failures are drift tests is
    rerun with retraining: the new models' snapshot becomes the drift reference."""
    drift_tests = [node for node in outcome.failed if node.startswith(DRIFT_TEST_PREFIX)]
    if not drift_tests or len(drift_tests) != len(outcome.failed):
        return False
    # Read-write like dbt-duckdb's connection in this process: DuckDB refuses a second configuration.
    with connect(settings.warehouse_path) as con:
        if not table_exists(con, "ml", "retraining_plan"):
            return False
        policies = {row[0] for row in con.execute("select retrain_policy from ml.retraining_plan").fetchall()}
        if policies != {"on_drift"}:
            return False
        features = ", ".join(sorted({feature for node in drift_tests for feature in _drifted(con, outcome, node)}))
    click.echo(f"drift error on {features}: retraining (retrain_policy on_drift) and building again", err=True)
    return True


def _drifted(con: duckdb.DuckDBPyConnection, outcome: DbtOutcome, node: str) -> list[str]:
    """The features a failed drift test graded error: its failing rows (one per feature, graded
    in the compiled SQL as literals), or the tested column when the SQL is unknown."""
    sql = outcome.failed_test_sql.get(node)
    if not sql:
        return [outcome.failed[node]]
    rows = con.execute(f"select feature from ({sql}) as grades where severity_level >= 2").fetchall()
    return [str(row[0]) for row in rows] or [outcome.failed[node]]


@cli.command(context_settings={"ignore_unknown_options": True})
@click.argument("dbt_args", nargs=-1, type=click.UNPROCESSED)
def dbt(dbt_args: tuple[str, ...]) -> None:
    """Run any dbt command against this project and warehouse, e.g. `retail dbt test`."""
    _run_dbt_or_exit(Settings.from_env(), list(dbt_args) or ["--help"])


@cli.command()
@click.option("--by", type=click.Choice(["day", "week", "rows"]), default="week", show_default=True)
@click.option(
    "--rows", "rows_per_batch", type=int, default=50_000, show_default=True, help="Rows per batch with --by rows."
)
@click.option(
    "--start",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="First replayed batch; earlier rows form the opening history "
    "(default: two churn horizons plus 30 days after the first transaction).",
)
@click.option("--end", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Last day replayed (default: the last).")
@click.option(
    "--refit-every",
    type=int,
    default=1,
    show_default=True,
    help="K > 1: segments updated by MiniBatchKMeans partial_fit each batch, refitted from scratch every K batches.",
)
@click.option(
    "--into",
    type=click.Path(path_type=Path),
    default=None,
    help="Replay warehouse (default: replay/retail.duckdb beside the warehouse); its MLflow store sits beside it.",
)
@click.option("--force", is_flag=True, help="Replace an existing replay warehouse and its MLflow store.")
def replay(
    by: str,
    rows_per_batch: int,
    start: datetime | None,
    end: datetime | None,
    refit_every: int,
    into: Path | None,
    force: bool,
) -> None:
    """Feed the loaded transactions to a fresh warehouse in chronological batches, running the build after each.

    The streaming simulation of a scheduled deployment: segment history,
    transitions, drift and the action outbox accumulate batch by batch.
    """
    from models_py.replay import ReplayOptions, replay_settings, run_replay

    settings = Settings.from_env()
    target = replay_settings(settings, into or settings.warehouse_path.parent / "replay" / "retail.duckdb")
    if force:
        target.warehouse_path.unlink(missing_ok=True)
        target.published_path.unlink(missing_ok=True)
        Path(target.tracking_uri.removeprefix("sqlite:///")).unlink(missing_ok=True)
    options = ReplayOptions(
        by=by,  # type: ignore[arg-type]
        rows=rows_per_batch,
        start=start.date() if start else None,
        end=end.date() if end else None,
        refit_every=refit_every,
    )
    started = time.perf_counter()
    failed_tests = 0
    # On a terminal a progress bar; otherwise (a log, the dashboard's job) one line per batch.
    progress = click.progressbar(length=1, label="replay", show_pos=True, file=sys.stderr)
    with progress if sys.stderr.isatty() else contextlib.nullcontext() as bar:

        def on_batch(result: BatchResult, total: int) -> None:
            nonlocal failed_tests
            failed_tests += len(result.outcome.failed)
            elapsed = time.perf_counter() - started
            if bar is None:
                click.echo(
                    f"batch {result.batch.number} of {total}: {result.batch.label}, {result.batch.rows:,} rows, "
                    f"{elapsed:.0f}s elapsed",
                    err=True,
                )
                return
            bar.length = total
            bar.label = f"replay {result.batch.label}  {result.batch.rows:>9,} rows  {elapsed:7.0f}s elapsed"
            bar.update(1)

        results = run_replay(target, settings.warehouse_path, options, on_batch, control_requested)
    elapsed = time.perf_counter() - started
    stopped = " (stopped on request)" if stop_was_requested() else ""
    click.echo(
        f"replayed {len(results)} batches{stopped} ({sum(r.batch.rows for r in results):,} rows) into "
        f"{target.warehouse_path} in {elapsed:.0f}s; {failed_tests} failing data tests (see logs/dbt.log)"
    )
    _echo_replay_summary(target)


def _echo_replay_summary(settings: Settings) -> None:
    """Size history and moves per segment pair, by id: a refit may rename a segment, its id stays."""
    with connect(settings.warehouse_path) as con:  # as dbt-duckdb opened it in this process
        if not table_exists(con, "reporting", "segment_size_history"):
            # A failing data test makes `dbt build` skip the models after it.
            click.echo("no segment history was recorded: the builds skipped it after failing tests; see logs/dbt.log")
            return
        history = con.execute(
            "select count(*), count(distinct as_of_date) from reporting.segment_size_history"
        ).fetchone()
        pairs = con.execute(
            """
            select
                from_segment_id, arg_max(from_segment_name, moved_on),
                to_segment_id, arg_max(to_segment_name, moved_on), sum(customers)
            from reporting.segment_transition_matrix
            group by from_segment_id, to_segment_id
            order by 5 desc, 1, 3
            """
        ).fetchall()
    assert history is not None
    click.echo(f"segment_size_history: {history[0]} rows over {history[1]} builds")
    click.echo(f"segment_transitions: {sum(row[-1] for row in pairs):,} moves (segment id and latest name)")
    for from_id, from_name, to_id, to_name, count in pairs:
        click.echo(f"  {from_id:>3} {from_name:<22} -> {to_id:>3} {to_name:<22} {count:>7,}")


def _parse_dates(value: str) -> list[date]:
    dates = []
    for text in (part.strip() for part in value.split(",") if part.strip()):
        try:
            dates.append(date.fromisoformat(text))
        except ValueError:
            raise click.BadParameter(f"{text!r} is not a YYYY-MM-DD date", param_hint="--as-of-dates") from None
    return dates


@cli.command()
@click.option(
    "--as-of-dates",
    "as_of_dates",
    required=True,
    help="Comma-separated YYYY-MM-DD dates; each needs a full horizon of loaded data after it.",
)
@click.option("--vars", "vars_yaml", default=None, help="dbt vars for every build, as YAML, e.g. '{random_state: 7}'.")
@click.option("--keep", is_flag=True, help="Keep each date's warehouse and MLflow store under backtest/.")
def backtest(as_of_dates: str, vars_yaml: str | None, keep: bool) -> None:
    """Accuracy on the real future: at each date, build with only the data before it (fresh warehouse,
    fresh models), then compare the scores with what customers did in the next H days.

    Prints one column per date and appends the numbers to backtest/backtest.duckdb
    (table backtest_metrics) beside the warehouse. Quote these, not validation metrics.
    """
    from models_py.backtest import results_table, run_backtest  # scikit-learn and scipy: slow to import

    settings = Settings.from_env()
    dates = _parse_dates(as_of_dates)
    _, variables = _split_vars(("--vars", vars_yaml) if vars_yaml else ())

    def progress(result: DateResult) -> None:
        click.echo(
            f"built and measured {result.as_of_date} in {result.seconds:.0f} s (churn model: {result.churn_model})",
            err=True,
        )

    results = run_backtest(settings, dates, variables, progress, keep=keep)
    table = results_table(results)
    click.echo(table.to_string(index=False, float_format=lambda value: f"{value:.4f}"))
    click.echo(
        f"\nappended to {settings.warehouse_path.parent / 'backtest' / 'backtest.duckdb'} (table backtest_metrics)"
    )


@cli.command()
def loads() -> None:
    """List the batches loaded into raw.transactions."""
    settings = Settings.from_env()
    with connect(settings.warehouse_path, read_only=True) as con:
        if not table_exists(con, "raw", "loads"):
            click.echo("nothing loaded yet")
            return
        rows = con.execute(
            f"select load_id, mode, row_count, bad_row_count, loaded_at, datetime_format, source_file, {CURRENT_LOADS} "
            "from raw.loads order by load_id"
        ).fetchall()
    for load_id, mode, row_count, bad, loaded_at, dates, source, current in rows:
        state = "" if current else "  (replaced)"
        # The date format, to spot a load whose dates were read the wrong way round (ingest's note).
        click.echo(
            f"{load_id:>4}  {mode:<7} {row_count:>12,} rows  {bad:>8,} bad  {loaded_at:%Y-%m-%d %H:%M}  "
            f"dates {dates or '?':<18}  {source}{state}"
        )


DRIFT_TEST_PREFIX = "test.retail_retention.psi_within_threshold_"


def _has_loaded_data(settings: Settings) -> bool:
    if not settings.warehouse_path.exists():
        return False
    with connect(settings.warehouse_path, read_only=True) as con:
        if not table_exists(con, "raw", "transactions"):
            return False
        row = con.execute("select exists (select 1 from raw.transactions)").fetchone()
        return bool(row and row[0])


def _run_dbt_or_exit(settings: Settings, args: list[str]) -> None:
    if not run_dbt(settings, args).success:
        sys.exit(1)


def main() -> None:
    """Entry point: user errors become one line on stderr and exit code 2."""
    try:
        _main()
    except SystemExit as exit_:
        _exit_now(exit_)
    _exit_now(SystemExit(0))


def _exit_now(exit_: SystemExit) -> NoReturn:
    """Exit without the interpreter's shutdown, after doing what it would do.

    Shutting down, the interpreter garbage-collects everything the command left
    (dbt's manifest, Jinja, pandas, sklearn) several times over: about 1 s after a
    build, for memory the process returns anyway. So the warehouse dbt had open is
    closed, the exit handlers (log files, temporary folders) run and the output is
    flushed here, and the process ends.
    """
    code = exit_.code
    if code is not None and not isinstance(code, int):
        click.echo(code, err=True)  # sys.exit("message") prints it and exits 1
        code = 1
    release_warehouse()
    atexit._run_exitfuncs()  # what a normal exit runs first; there is no public name for it
    with contextlib.suppress(OSError):  # a reader that went away (`retail ... | head`)
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code or 0)


def _main() -> None:
    try:
        cli.main(standalone_mode=False)
    except RetailError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(2)
    except click.exceptions.Exit as exit_:
        sys.exit(exit_.exit_code)
    except click.ClickException as error:
        error.show()
        sys.exit(2)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
