"""Load a transactions file into ``raw.transactions``, keeping every source row.

Source values are stored verbatim as text under canonical column names, with
the load id, source file, sheet and row number, and the per-load reading
choices staging needs (date format, decimal separator, cancellation prefix).
Rows whose date or numbers cannot be parsed are kept with a reason in
``_parse_error``; the load is refused only when their share exceeds a
threshold. A load runs in one transaction: either the whole file lands or
nothing does.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from models_py.errors import RetailError
from models_py.ingest.csv_files import (
    DEFAULT_MAX_LINE_SIZE,
    CsvDialect,
    duckdb_reason,
    line_number,
    ragged_rows,
    scan_legacy_encoding,
    sniff_dialect,
    utf8_copy,
)
from models_py.ingest.mapping import (
    CANONICAL_FIELDS,
    LINE_AMOUNT_FIELDS,
    NUMERIC_FIELDS,
    ColumnMapping,
    proposed_columns,
    quote_identifier,
    resolve_mapping,
)
from models_py.warehouse import column_names, connect, table_exists

# Tried in order; the first format that parses the most sampled values wins, so
# month-first beats day-first only when the sample cannot tell them apart.
DATETIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%m/%d/%Y",
    "%d/%m/%Y",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    # With a UTC offset (Shopify: 2023-01-15 10:23:45 -0500): staging converts to UTC.
    "%Y-%m-%d %H:%M:%S %z",
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y%m%d",
)
_FORMAT_SAMPLE_ROWS = 100_000
_FORMAT_SCAN_ROWS = 2_000_000
_SHEET_COLUMN = "__retail_sheet"
_ROW_COLUMN = "__retail_row"
_EXAMPLE_ROWS = 5

_FORMATS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".xls": "excel",
    ".parquet": "parquet",
    ".pq": "parquet",
}

RAW_TRANSACTIONS_DDL = f"""
create table if not exists raw.transactions (
    {", ".join(f"{name} varchar" for name in CANONICAL_FIELDS)},
    _parse_error varchar,
    _load_id integer not null,
    _source_sheet varchar,
    _source_row_number bigint not null,
    _loaded_at timestamp not null
)
"""

RAW_LOADS_DDL = """
create table if not exists raw.loads (
    load_id integer primary key,
    source_file varchar not null,
    file_sha256 varchar not null,
    file_bytes bigint not null,
    row_count bigint not null,
    bad_row_count bigint not null,
    mode varchar not null,
    mapping_json varchar not null,
    datetime_format varchar not null,
    loaded_at timestamp not null,
    encoding varchar,
    reading_options_json varchar,
    file_name varchar,
    decimal_separator varchar,
    cancellation_prefix varchar
)
"""
# Columns added since the first release: warehouses created before get them on their next load.
_ADDED_COLUMNS = {
    "raw.transactions": tuple(f"{name} varchar" for name in ("cancelled_at", "is_cancelled", "refunded_amount")),
    "raw.loads": (
        "encoding varchar",
        "reading_options_json varchar",
        *(f"{name} varchar" for name in ("file_name", "decimal_separator", "cancellation_prefix")),
    ),
}
# What every row of a load shares, kept once per load in raw.loads since 2026-12: written on
# each of 54M rows, these constant text columns took 5.5 s of a 31 s load.
# Warehouses loaded before have them in raw.transactions and are moved on their next load or build.
MOVED_TO_LOADS = {
    "_datetime_format": "datetime_format",
    "_decimal_separator": "decimal_separator",
    "_cancellation_prefix": "cancellation_prefix",
    "_source_file": "file_name",
}

# Loads whose rows are in raw.transactions: those since the last replacing load.
CURRENT_LOADS = "load_id >= (select coalesce(max(load_id), 0) from raw.loads where mode = 'replace')"


@dataclass(frozen=True)
class Reading:
    """The choices a load was read with (given in the mapping or detected), recorded in raw.loads."""

    datetime_format: str
    decimal_separator: str
    encoding: str | None  # CSV only
    delimiter: str | None  # CSV only
    # Other formats that read the file's dates as well as datetime_format (01/02/2011: %d/%m or %m/%d?).
    datetime_format_also_fits: tuple[str, ...] = ()


@dataclass(frozen=True)
class LoadResult:
    """What one ingest call loaded."""

    load_id: int
    source_file: Path
    rows: int
    bad_rows: int
    mapping: ColumnMapping
    reading: Reading
    replaced_rows: int

    @property
    def datetime_format(self) -> str:
        return self.reading.datetime_format


def detect_format(path: Path) -> str:
    """Return ``csv``, ``excel`` or ``parquet`` from the file name (``.gz`` allowed for CSV)."""
    suffixes = [suffix.lower() for suffix in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        if len(suffixes) >= 2 and _FORMATS.get(suffixes[-2]) == "csv":
            return "csv"
    elif suffixes and suffixes[-1] in _FORMATS:
        return _FORMATS[suffixes[-1]]
    raise RetailError(
        f"{path}: unknown file format {''.join(path.suffixes) or '(no extension)'}; "
        "use .csv, .csv.gz, .tsv, .xlsx, .xls or .parquet"
    )


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def ingest_file(
    path: Path,
    warehouse_path: Path,
    mapping: ColumnMapping | None = None,
    *,
    append: bool = False,
    force: bool = False,
    max_bad_share: float = 0.01,
    memory_limit: str | None = None,
) -> LoadResult:
    """Load ``path`` into ``raw.transactions`` of the warehouse.

    Without ``append`` the file replaces everything loaded before; with it, the
    file becomes a new batch, and a file already loaded (same SHA-256) is refused
    unless ``force``.
    """
    path = Path(path)
    if not path.exists():
        raise RetailError(f"{path}: file does not exist")
    if not path.is_file():
        raise RetailError(f"{path}: is not a file")
    file_format = detect_format(path)
    if path.stat().st_size == 0:
        raise RetailError(f"{path}: file is empty")
    if not 0 <= max_bad_share <= 1:
        raise RetailError(f"max bad share must be between 0 and 1, got {max_bad_share}")

    sha256 = file_sha256(path)
    with connect(warehouse_path, memory_limit=memory_limit) as con:
        if append and not force and table_exists(con, "raw", "loads"):
            _refuse_repeated_file(con, path, sha256)
        header, dialect = _read_source(con, path, file_format, mapping or ColumnMapping(), warehouse_path.parent)
        earlier_format = _current_datetime_format(con) if append else None
        mapping, reading, total = _stage(con, path, header, dialect, mapping, earlier_format)
        return _commit_load(
            con,
            path,
            sha256=sha256,
            append=append,
            mapping=mapping,
            reading=reading,
            rows=total,
            max_bad_share=max_bad_share,
        )


def _current_datetime_format(con: duckdb.DuckDBPyConnection) -> str | None:
    """The date format of the latest load whose rows are in raw.transactions, if any."""
    if not table_exists(con, "raw", "loads"):
        return None
    row = con.execute(f"select datetime_format from raw.loads where {CURRENT_LOADS} order by load_id desc limit 1")
    found = row.fetchone()
    return str(found[0]) if found and found[0] else None


def _stage(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    header: list[str],
    dialect: CsvDialect | None,
    mapping: ColumnMapping | None,
    earlier_format: str | None = None,
) -> tuple[ColumnMapping, Reading, int]:
    """Resolve the mapping, detect what it leaves open, and stage the rows (temp view ``_staged``).

    ``earlier_format``: the date format of the loads this one is appended to, chosen when the file's
    dates fit it as well as another (a daily file of the first twelve days of a month reads either way).
    """
    mapping = resolve_mapping(header, mapping, str(path))
    total = _count(con, "select count(*) from _source_raw")
    if total == 0:
        raise RetailError(f"{path}: has a header but no data rows")
    fitting: tuple[str, ...] = ()
    if mapping.datetime_format is not None:
        _check_datetime_format(con, mapping.datetime_format)
        datetime_format = mapping.datetime_format
    else:
        fitting = _fitting_datetime_formats(con, path, mapping.columns["order_datetime"], total)
        datetime_format = earlier_format if earlier_format in fitting else fitting[0]
    reading = Reading(
        datetime_format=datetime_format,
        decimal_separator=mapping.decimal_separator or _detect_decimal_separator(con, path, mapping),
        encoding=dialect.encoding if dialect else None,
        delimiter=dialect.delimiter if dialect else None,
        datetime_format_also_fits=tuple(fmt for fmt in fitting if fmt != datetime_format),
    )
    _build_staged_rows(con, mapping, reading)
    return mapping, reading, total


@dataclass(frozen=True)
class Preview:
    """What a load of the file would do, computed in memory before anything is written."""

    header: list[str]
    proposed: dict[str, str]  # canonical field -> column, as recognised from the header
    errors: list[str]  # each problem that would refuse the load; empty: the load would succeed
    mapping: ColumnMapping | None = None
    reading: Reading | None = None
    rows: int = 0
    bad_rows: int = 0
    head: pd.DataFrame | None = None  # the first rows as they would be parsed
    bad_examples: pd.DataFrame | None = None  # the first rows kept with a parse error


def preview_file(
    path: Path, mapping: ColumnMapping | None = None, *, rows: int = 10, max_bad_share: float = 0.01
) -> Preview:
    """Read ``path`` as ``ingest_file`` would, in an in-memory database: header, proposed mapping, every
    validation error, and the first rows parsed (customer id, order time, amounts)."""
    path = Path(path)
    if not path.is_file() or path.stat().st_size == 0:
        return Preview(header=[], proposed={}, errors=[f"{path}: file does not exist or is empty"])
    header: list[str] = []
    try:
        file_format = detect_format(path)
        with tempfile.TemporaryDirectory() as workdir, duckdb.connect() as con:
            header, dialect = _read_source(con, path, file_format, mapping or ColumnMapping(), Path(workdir))
            proposed = proposed_columns(header)
            mapping, reading, total = _stage(con, path, header, dialect, mapping)
            bad_rows, refusal = _bad_rows(con, path, total, max_bad_share)
            errors = [refusal] if refusal else []
            head = con.execute(_parsed_rows_sql(mapping, reading, "true", rows)).df()
            bad = con.execute(_parsed_rows_sql(mapping, reading, "_parse_error is not null", rows)).df()
    except RetailError as error:
        return Preview(header=header, proposed=proposed_columns(header), errors=[str(error)])
    return Preview(header, proposed, errors, mapping, reading, total, bad_rows, head, bad)


def _parsed_rows_sql(mapping: ColumnMapping, reading: Reading, where: str, limit: int) -> str:
    parsed = ", ".join(f"{_parsed_sql(name, name, reading)} as {name}" for name in _amount_fields(mapping))
    optional = "".join(f", {name}" for name in ("order_id", "product_id", "country") if name in mapping.columns)
    return f"""
        select
            _source_row_number as source_row, trim(customer_id) as customer_id{optional},
            {_parsed_sql("order_datetime", "trim(order_datetime)", reading)} as order_datetime, {parsed},
            _parse_error as parse_error
        from _staged
        where {where}
        order by _source_row_number
        limit {int(limit)}
    """


def _check_datetime_format(con: duckdb.DuckDBPyConnection, datetime_format: str) -> None:
    try:
        con.execute("select try_strptime('2000-01-01', ?)", [datetime_format]).fetchone()
    except duckdb.Error as error:
        message = str(error).strip().splitlines()[0]
        raise RetailError(
            f"mapping datetime_format {datetime_format!r} is not a valid strptime format ({message}); "
            'use codes such as "%d/%m/%Y %H:%M"'
        ) from None


def create_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """raw.transactions and raw.loads, with the columns added since the first release."""
    con.execute("create schema if not exists raw")
    con.execute(RAW_TRANSACTIONS_DDL)
    con.execute(RAW_LOADS_DDL)
    for table, columns in _ADDED_COLUMNS.items():
        for column in columns:
            con.execute(f"alter table {table} add column if not exists {column}")
    _move_load_constants(con)


def _move_load_constants(con: duckdb.DuckDBPyConnection) -> None:
    """A warehouse loaded before 2026-12 has MOVED_TO_LOADS on every row: copy them to raw.loads, drop them.

    The dbt hook (macro require_raw_transactions) does the same for a build before the next load.
    """
    present = column_names(con, "raw", "transactions")
    moved = {old: new for old, new in MOVED_TO_LOADS.items() if old in present}
    if not moved:
        return
    per_load = ", ".join(f"min({old}) as {new}" for old, new in moved.items())
    assignments = ", ".join(f"{new} = per_load.{new}" for new in moved.values())
    con.execute(
        f"""
        update raw.loads as loads set {assignments}
        from (select _load_id, {per_load} from raw.transactions group by _load_id) as per_load
        where loads.load_id = per_load._load_id
        """
    )
    # Loads a later replacing load removed keep no rows to copy from: their file's name from its path.
    con.execute(r"update raw.loads set file_name = regexp_extract(source_file, '[^/\\]+$') where file_name is null")
    for old in moved:
        con.execute(f"alter table raw.transactions drop column {old}")


def _refuse_repeated_file(con: duckdb.DuckDBPyConnection, path: Path, sha256: str) -> None:
    earlier = con.execute(
        f"select load_id, source_file, loaded_at from raw.loads where file_sha256 = ? and {CURRENT_LOADS} "
        "order by load_id limit 1",
        [sha256],
    ).fetchone()
    if earlier is not None:
        load_id, source_file, loaded_at = earlier
        raise RetailError(
            f"{path}: this file was already loaded as load {load_id} ({source_file}, "
            f"{loaded_at:%Y-%m-%d %H:%M}); pass --force to load it again"
        )


def _read_source(
    con: duckdb.DuckDBPyConnection, path: Path, file_format: str, mapping: ColumnMapping, workdir: Path
) -> tuple[list[str], CsvDialect | None]:
    """Read the file as text into ``_source_raw`` (a temp table; a view for Parquet), in file order; return its
    header (and CSV dialect)."""
    literal = _sql_literal(path)
    dialect = None
    try:
        if file_format == "csv":
            dialect = _read_csv(con, path, mapping, workdir)
        elif file_format == "parquet":
            columns = [row[0] for row in con.execute(f"describe select * from read_parquet({literal})").fetchall()]
            casts = ", ".join(
                f"cast({quote_identifier(name)} as varchar) as {quote_identifier(name)}" for name in columns
            )
            if "file_row_number" in (name.lower() for name in columns):
                # DuckDB cannot add its row number beside a column of that name: copy, numbered by rowid.
                con.execute(f"create or replace temp table _source_raw as select {casts} from read_parquet({literal})")
            else:
                # A view, not a copy: DuckDB keeps Parquet's dictionary-encoded columns as dictionaries,
                # so parsing a date or number runs once per distinct value. Copied into a temp table
                # they were parsed once per row (54M rows: 62 s to load instead of 25).
                con.execute(
                    f"create or replace temp view _source_raw as select {casts}, file_row_number as {_ROW_COLUMN} "
                    f"from read_parquet({literal}, file_row_number = true)"
                )
        else:
            frame = _read_excel(path)
            con.register("_excel_frame", frame)
            con.execute("create or replace temp table _source_raw as select * from _excel_frame")
            con.unregister("_excel_frame")
    except duckdb.Error as error:
        raise RetailError(f"{path}: cannot be read as {file_format}: {duckdb_reason(error)}") from None
    return [name for name in _source_columns(con) if name not in (_SHEET_COLUMN, _ROW_COLUMN)], dialect


def _source_columns(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [row[0] for row in con.execute("describe _source_raw").fetchall()]


def _row_index(con: duckdb.DuckDBPyConnection) -> str:
    """SQL for a row's 0-based position in the file: the temp tables' rowid, or the Parquet view's row number."""
    return f"_source_raw.{_ROW_COLUMN}" if _ROW_COLUMN in _source_columns(con) else "_source_raw.rowid"


def _sql_literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _read_csv(con: duckdb.DuckDBPyConnection, path: Path, mapping: ColumnMapping, workdir: Path) -> CsvDialect:
    """Read a CSV with an explicit dialect, so a ragged row is an error instead of a one-column guess."""
    dialect = sniff_dialect(path, mapping.encoding, mapping.delimiter)
    try:
        _copy_csv(con, path, dialect, mapping.max_line_size, workdir)
    except duckdb.Error as error:
        if "not utf-8 encoded" not in str(error) or mapping.encoding is not None:
            raise RetailError(_csv_error_message(path, dialect, mapping, error)) from None
        # A byte that is not UTF-8 somewhere past the sample: 8-bit text, decided on the whole file.
        dialect = sniff_dialect(path, scan_legacy_encoding(path), mapping.delimiter)
        try:
            _copy_csv(con, path, dialect, mapping.max_line_size, workdir)
        except duckdb.Error as retry_error:
            raise RetailError(_csv_error_message(path, dialect, mapping, retry_error)) from None
    return dialect


def _copy_csv(
    con: duckdb.DuckDBPyConnection, path: Path, dialect: CsvDialect, max_line_size: int | None, workdir: Path
) -> None:
    columns = "{" + ", ".join(f"{_sql_string(name)}: 'VARCHAR'" for name in dialect.header) + "}"
    with utf8_copy(path, dialect.encoding, workdir) as readable:
        con.execute(
            "create or replace temp table _source_raw as select * from read_csv("
            f"{_sql_literal(readable)}, auto_detect = false, header = true, columns = {columns}, "
            f"delim = {_sql_string(dialect.delimiter)}, quote = '\"', escape = '\"', strict_mode = true, "
            f"max_line_size = {max_line_size or DEFAULT_MAX_LINE_SIZE})"
        )


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _csv_error_message(path: Path, dialect: CsvDialect, mapping: ColumnMapping, error: duckdb.Error) -> str:
    text = str(error)
    shown = "tab" if dialect.delimiter == "\t" else repr(dialect.delimiter)
    if "Expected Number of Columns" in text:
        rows = ragged_rows(path, dialect)
        listed = ", ".join(f"line {line} has {fields}" for line, fields in rows) or f"near line {line_number(error)}"
        return (
            f"{path}: rows have different numbers of fields: the header has {len(dialect.header)} "
            f"(delimiter {shown}), but {listed}. A field probably contains an unquoted {shown} or a line "
            'break; quote it in the export, or set "delimiter" in the mapping if the file uses another one. '
            "Nothing was loaded"
        )
    if "line size" in text:
        limit = mapping.max_line_size or DEFAULT_MAX_LINE_SIZE
        return (
            f"{path}: line {line_number(error) or '?'} is longer than the {limit:,}-byte line limit "
            "(a very long text field, or a quote that is never closed so the rest of the file reads as one "
            'field). Fix the quoting, drop the long column from the export, or raise "max_line_size" '
            "(bytes) in the mapping. Nothing was loaded"
        )
    return f"{path}: cannot be read as csv ({dialect.encoding}, delimiter {shown}): {duckdb_reason(error)}"


def _read_excel(path: Path) -> pd.DataFrame:
    try:
        sheets = pd.read_excel(path, sheet_name=None, dtype=str, engine="calamine")
    except Exception as error:  # calamine raises its own types for corrupt files
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise RetailError(f"{path}: cannot be read as Excel: {message}") from None
    frames = []
    first_header: list[str] | None = None
    for sheet_name, frame in sheets.items():
        if frame.empty and len(frame.columns) == 0:
            continue
        header = [str(name) for name in frame.columns]
        if _SHEET_COLUMN in header:
            raise RetailError(f"{path}: sheet {sheet_name!r} uses reserved column {_SHEET_COLUMN}")
        if first_header is None:
            first_header = header
        elif header != first_header:
            raise RetailError(
                f"{path}: sheet {sheet_name!r} has columns {header}, but the first sheet has "
                f"{first_header}; every sheet must share one header"
            )
        frame.columns = header
        frames.append(frame.assign(**{_SHEET_COLUMN: str(sheet_name)}))
    if not frames:
        raise RetailError(f"{path}: workbook has no sheet with data")
    combined = pd.concat(frames, ignore_index=True)
    return combined.astype(object).where(combined.notna(), None)


def _fitting_datetime_formats(con: duckdb.DuckDBPyConnection, path: Path, column: str, total: int) -> tuple[str, ...]:
    """The known formats that parse the most sampled dates, in DATETIME_FORMATS' order (the first is the default)."""
    quoted = quote_identifier(column)
    # Every n-th row of a large file: the distinct values of all 54M rows cost 5 s, and
    # evenly spread rows still reach every period of the file.
    stride = max(1, total // _FORMAT_SCAN_ROWS)
    values = (
        f"select trim({quoted}) as value from _source_raw "
        f"where {_row_index(con)} % {stride} = 0 and nullif(trim({quoted}), '') is not null"
    )
    # Distinct values: a file repeats each timestamp on every line of an order, and
    # trying 18 formats on each line cost seconds; distinct values also reach the
    # later days that tell %d/%m from %m/%d.
    sample = f"select distinct value from ({values}) limit {_FORMAT_SAMPLE_ROWS}"
    counts = ", ".join(f"count(try_strptime(value, '{fmt}'))" for fmt in DATETIME_FORMATS)
    row = con.execute(f"select count(*), {counts} from ({sample})").fetchone()
    assert row is not None
    sampled, parsed = row[0], row[1:]
    if not sampled:  # no date at all: every line is refused or counted as missing its date
        return DATETIME_FORMATS[:1]
    if max(parsed) == 0:
        example = con.execute(f"{values} limit 1").fetchone()
        raise RetailError(
            f"{path}: column {column!r} (order_datetime) has no value in a known date format "
            f'(first value: {example[0] if example else None!r}); add "datetime_format" '
            '(strptime codes, e.g. "%d/%m/%Y %H:%M") to the mapping'
        )
    return tuple(fmt for fmt, count in zip(DATETIME_FORMATS, parsed, strict=True) if count == max(parsed))


def number_text(expression: str, decimal_separator: str) -> str:
    """SQL turning a number as written into one DuckDB casts: the other separator groups thousands.

    Staging reads the stored text the same way (dbt macro ``parse_number``).
    """
    if decimal_separator == ",":
        return f"replace(replace(trim({expression}), '.', ''), ',', '.')"
    return f"replace(trim({expression}), ',', '')"


def _detect_decimal_separator(con: duckdb.DuckDBPyConnection, path: Path, mapping: ColumnMapping) -> str:
    """',' when the amounts are written with decimal commas (2,55 or 1.234,56), else '.'.

    A separator followed by 3 digits is ambiguous (1,234 or 1.234) and does not vote.
    """
    fields = [mapping.columns[name] for name in NUMERIC_FIELDS if name in mapping.columns]
    if not fields:
        return "."
    values = " union all ".join(
        f"select trim({quote_identifier(column)}) as value, {_sql_string(column)} as source_column "
        f"from (select * from _source_raw limit {_FORMAT_SAMPLE_ROWS})"
        for column in fields
    )
    row = con.execute(
        f"""
        select
            count(case when regexp_matches(value, '^[-+]?[0-9.]*,([0-9]{{1,2}}|[0-9]{{4,}})$') then 1 end),
            count(case when regexp_matches(value, '^[-+]?[0-9,]*[.]([0-9]{{1,2}}|[0-9]{{4,}})$') then 1 end),
            any_value(case when regexp_matches(value, ',[0-9]+$') then source_column || ': ' || value end),
            any_value(case when regexp_matches(value, '[.][0-9]+$') then source_column || ': ' || value end)
        from ({values})
        """
    ).fetchone()
    assert row is not None
    comma, dot, comma_example, dot_example = row
    if comma and dot:
        raise RetailError(
            f"{path}: amounts are written both with decimal commas ({comma_example!r}) and decimal points "
            f'({dot_example!r}); set "decimal_separator" ("." or ",") in the mapping'
        )
    return "," if comma else "."


def _build_staged_rows(con: duckdb.DuckDBPyConnection, mapping: ColumnMapping, reading: Reading) -> None:
    """Temp view ``_staged``: canonical text columns plus the parse verdict per row.

    A view, not a table: at 50M rows a second materialized copy would double memory.
    A check is written into the view only for a column where some value fails it
    (``_value_faults``): a clean file's rows are copied without parsing them again.
    """

    def source(name: str) -> str:
        column = mapping.columns.get(name)
        return f"_source_raw.{quote_identifier(column)}" if column else "null"

    faults = _value_faults(con, mapping, reading)
    order_datetime = _order_level_value(mapping, "order_datetime", faults["order_datetime"].blank)
    checks = []
    # In the order of _value_faults: a line's first fault names it.
    for name, fault in faults.items():
        value = order_datetime if name == "order_datetime" else f"nullif(trim({source(name)}), '')"
        if fault.blank:
            checks.append(f"when {value} is null then 'missing {name}'")
        if fault.unparseable:
            checks.append(f"when {_parsed_sql(name, value, reading)} is null then 'unparseable {name}'")
    parse_error = f"case {' '.join(checks)} end" if checks else "cast(null as varchar)"
    sheet = f"_source_raw.{_SHEET_COLUMN}" if _has_sheet_column(con) else "null"
    columns = ", ".join(f"{source(name)} as {name}" for name in CANONICAL_FIELDS)
    con.execute(
        f"""
        create or replace temp view _staged as
        select
            {columns},
            {parse_error} as _parse_error,
            {sheet} as _source_sheet,
            {_row_index(con)} + 1 as _source_row_number
        from _source_raw
        """
    )


@dataclass(frozen=True)
class _Faults:
    """What the values of one source column hold: a blank (null or only spaces), a value that does not parse."""

    blank: bool
    unparseable: bool


def _amount_fields(mapping: ColumnMapping) -> list[str]:
    """The amounts a line must have: its order total, or quantity and unit price."""
    return ["order_total"] if mapping.uses_order_total else list(LINE_AMOUNT_FIELDS)


def _parsed_sql(name: str, text: str, reading: Reading) -> str | None:
    """SQL parsing the SQL text ``text`` of field ``name`` as the load reads it (null when it does not parse);
    None for a field that is only checked for blanks (order and product ids)."""
    if name == "order_datetime":
        return f"try_strptime({text}, {_sql_string(reading.datetime_format)})"
    if name in NUMERIC_FIELDS:
        return f"try_cast({number_text(text, reading.decimal_separator)} as double)"
    return None


def _value_faults(con: duckdb.DuckDBPyConnection, mapping: ColumnMapping, reading: Reading) -> dict[str, _Faults]:
    """The faults of each checked field's column, decided on its distinct values, in the order a line's
    faults are named: order id, product, order time, amounts.

    A file repeats each date, quantity and price on many lines: parsing every line
    took 2.2 s of a 5.4-million-line load's 10, their distinct values 0.4 s.
    """
    faults: dict[str, _Faults] = {}
    for name in ("order_id", "product_id", "order_datetime", *_amount_fields(mapping)):
        if name not in mapping.columns:
            continue
        parsed = _parsed_sql(name, "trim(value)", reading)
        unparseable = f"count(*) filter (where trim(value) <> '' and {parsed} is null)" if parsed else "0"
        row = con.execute(
            f"""
            select count(*) filter (where value is null or trim(value) = ''), {unparseable}
            from (select distinct {quote_identifier(mapping.columns[name])} as value from _source_raw)
            """
        ).fetchone()
        assert row is not None
        faults[name] = _Faults(blank=row[0] > 0, unparseable=row[1] > 0)
    return faults


def _order_level_value(mapping: ColumnMapping, name: str, some_blank: bool) -> str:
    """SQL for a field that exports such as Shopify's fill on an order's first line only.

    Blank on a row, it is taken from another row of the same order (staging
    does the same); the window is added only when some row is blank.
    """
    value = f"nullif(trim(_source_raw.{quote_identifier(mapping.columns[name])}), '')"
    if "order_id" not in mapping.columns or not some_blank:
        return value
    order_id = f"nullif(upper(trim(_source_raw.{quote_identifier(mapping.columns['order_id'])})), '')"
    return f"coalesce({value}, case when {order_id} is not null then max({value}) over (partition by {order_id}) end)"


def _has_sheet_column(con: duckdb.DuckDBPyConnection) -> bool:
    return _SHEET_COLUMN in _source_columns(con)


def _bad_rows(
    con: duckdb.DuckDBPyConnection, path: Path, total: int, max_bad_share: float, rows: str = "_staged"
) -> tuple[int, str | None]:
    """Rows with a parse error among ``rows`` (the staged file, or its rows once inserted), and the refusal
    when they are more than ``max_bad_share`` of the file."""
    bad_rows = _count(con, f"select count(*) from {rows} where _parse_error is not null")
    too_many = bad_rows > max_bad_share * total
    return bad_rows, _bad_rows_message(con, path, bad_rows, total, max_bad_share) if too_many else None


def _bad_rows_message(con: duckdb.DuckDBPyConnection, path: Path, bad_rows: int, total: int, max_share: float) -> str:
    examples = con.execute(
        "select _source_row_number, _parse_error from _staged where _parse_error is not null "
        f"order by _source_row_number limit {_EXAMPLE_ROWS}"
    ).fetchall()
    listed = "; ".join(f"row {row}: {reason}" for row, reason in examples)
    return (
        f"{path}: {bad_rows:,} of {total:,} rows ({bad_rows / total:.1%}) have a missing or "
        f"unparseable date or number, more than the allowed {max_share:.1%} (first: {listed}). "
        'Fix the file, set "datetime_format" in the mapping, or raise --max-bad-share; '
        "nothing was loaded"
    )


def _commit_load(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    sha256: str,
    append: bool,
    mapping: ColumnMapping,
    reading: Reading,
    rows: int,
    max_bad_share: float,
) -> LoadResult:
    con.execute("begin transaction")
    try:
        create_raw_tables(con)
        replaced = 0
        if not append:
            replaced = _count(con, "select count(*) from raw.transactions")
            con.execute("delete from raw.transactions")
        # raw.loads keeps replaced loads, so a load id is never reused: the
        # incremental dbt models tell new batches from processed ones by it.
        load_id = next_load_id(con)
        loaded_at = datetime.now(UTC).replace(tzinfo=None)
        con.execute(
            f"""
            insert into raw.transactions by name
            select
                *,
                {load_id} as _load_id,
                ? as _loaded_at
            from _staged
            """,
            [loaded_at],
        )
        # Counted on the inserted rows: parsing the staged file twice (once to count, once to
        # insert) cost 20 s of 90 at 54M rows. Too many, and the transaction is rolled back.
        inserted = f"(select _parse_error from raw.transactions where _load_id = {load_id})"
        bad_rows, refusal = _bad_rows(con, path, rows, max_bad_share, inserted)
        if refusal:
            raise RetailError(refusal)
        options = {**mapping.options(), **{key: value for key, value in asdict(reading).items() if value}}
        con.execute(
            """
            insert into raw.loads (
                load_id, source_file, file_sha256, file_bytes, row_count, bad_row_count, mode,
                mapping_json, datetime_format, loaded_at, encoding, reading_options_json,
                file_name, decimal_separator, cancellation_prefix
            ) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                load_id,
                str(path.resolve()),
                sha256,
                path.stat().st_size,
                rows,
                bad_rows,
                "append" if append else "replace",
                json.dumps(dict(mapping.columns), sort_keys=True),
                reading.datetime_format,
                loaded_at,
                reading.encoding,
                json.dumps(options, sort_keys=True),
                path.name,
                reading.decimal_separator,
                mapping.effective_cancellation_prefix,
            ],
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return LoadResult(
        load_id=load_id,
        source_file=path,
        rows=rows,
        bad_rows=bad_rows,
        mapping=mapping,
        reading=reading,
        replaced_rows=replaced,
    )


def next_load_id(con: duckdb.DuckDBPyConnection) -> int:
    """The id of the next load: above every load's, replaced ones too (raw.loads keeps them)."""
    return _count(con, "select coalesce(max(load_id), 0) + 1 from raw.loads")


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    assert row is not None
    return int(row[0])
