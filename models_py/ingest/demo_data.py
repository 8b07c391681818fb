"""Deterministic synthetic transactions in the shape of the UCI Online Retail file.

Everything is generated inside DuckDB from hash-based pseudo-random numbers, so
the same config gives the same rows (for a given DuckDB version) and 50M rows
stream to disk within the memory limit. The data carries the real file's
problems: guest checkouts without customer id, cancellation invoices (``C``)
reversing earlier lines, stock adjustments with negative quantities, zero and
negative prices, non-product codes (postage, manual, fees, discounts),
exact duplicate rows, a pre-Christmas peak, heavy-tailed customer value and
customers who stop buying.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from models_py.errors import RetailError
from models_py.settings import DEFAULT_MEMORY_LIMIT
from models_py.warehouse import set_memory_limit

HEADER = (
    "InvoiceNo",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "UnitPrice",
    "CustomerID",
    "Country",
)

_OTHER_COUNTRIES = (
    "Germany",
    "France",
    "EIRE",
    "Spain",
    "Netherlands",
    "Belgium",
    "Switzerland",
    "Portugal",
    "Australia",
    "Norway",
    "Italy",
    "Channel Islands",
    "Finland",
    "Cyprus",
    "Sweden",
    "Denmark",
    "Japan",
    "Poland",
    "USA",
)
_ADJECTIVES = (
    "WHITE",
    "RED",
    "PINK",
    "BLUE",
    "VINTAGE",
    "RETRO",
    "HEART",
    "STAR",
    "REGENCY",
    "JUMBO",
    "SET OF 3",
    "PAPER",
    "WOODEN",
    "GLASS",
    "ENAMEL",
    "SPOTTY",
    "FLORAL",
)
_NOUNS = (
    "T-LIGHT HOLDER",
    "LANTERN",
    "COAT HANGER",
    "HOT WATER BOTTLE",
    "LUNCH BAG",
    "CAKE CASES",
    "TEACUP AND SAUCER",
    "BUNTING",
    "DOORMAT",
    "ALARM CLOCK",
    "CHALKBOARD",
    "STORAGE TIN",
    "NAPKINS",
    "GIFT WRAP",
    "PHOTO FRAME",
    "CANDLE",
    "BIRD ORNAMENT",
)
# Relative order intensity by calendar month: the wholesale pre-Christmas peak.
_MONTH_WEIGHTS = (0.55, 0.5, 0.65, 0.6, 0.7, 0.65, 0.65, 0.7, 0.85, 0.95, 1.0, 0.75)
_FIRST_INVOICE = 536365
_LINES_PER_ORDER = 18
_GUEST_LINES_PER_ORDER = 40
_ROWS_PER_CUSTOMER = 175


@dataclass(frozen=True)
class DemoDataConfig:
    """Size and shape of the synthetic dataset.

    ``rows`` is a target (within a few percent); ``customers`` overrides the
    number of identified customers derived from it.
    """

    rows: int = 500_000
    customers: int | None = None
    seed: int = 42
    start_date: date = date(2010, 12, 1)
    days: int = 374
    products: int = 4_000
    memory_limit: str = DEFAULT_MEMORY_LIMIT

    @property
    def customer_count(self) -> int:
        return self.customers if self.customers is not None else max(20, self.rows // _ROWS_PER_CUSTOMER)


def write_demo_data(out_path: Path, config: DemoDataConfig = DemoDataConfig()) -> int:
    """Write the dataset to ``out_path`` (.csv, .csv.gz or .parquet); return the row count."""
    if config.rows <= 0 and config.customers is None:
        raise RetailError(f"demo data needs a positive number of rows, got {config.rows}")
    if config.customers is not None and config.customers <= 0:
        raise RetailError(f"demo data needs a positive number of customers, got {config.customers}")
    suffixes = "".join(out_path.suffixes).lower()
    if suffixes.endswith(".parquet"):
        copy_options = "format parquet, compression zstd"
    elif suffixes.endswith(".csv.gz"):
        copy_options = "format csv, header true, compression gzip"
    elif suffixes.endswith(".csv"):
        copy_options = "format csv, header true"
    else:
        raise RetailError(f"{out_path}: demo data is written as .csv, .csv.gz or .parquet")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    partial = out_path.with_name(out_path.name + ".partial")
    with tempfile.TemporaryDirectory(prefix="retail-demo-") as spill:
        con = duckdb.connect()
        try:
            set_memory_limit(con, config.memory_limit)
            con.execute(f"set temp_directory = '{spill}'")
            for statement in _statements(config):
                con.execute(statement)
            target = "'" + str(partial).replace("'", "''") + "'"
            con.execute(f"copy (select * from demo_output) to {target} ({copy_options})")
            row = con.execute("select count(*) from demo_output").fetchone()
        finally:
            con.close()
    partial.replace(out_path)
    return int(row[0]) if row else 0


def _list_literal(values: tuple[str, ...] | tuple[float, ...]) -> str:
    return "[" + ", ".join(f"'{value}'" if isinstance(value, str) else str(value) for value in values) + "]"


def _statements(config: DemoDataConfig) -> list[str]:
    """The SQL, one statement per step; every random draw is u(entity, stream, index)."""
    customers = config.customer_count
    countries = _list_literal(_OTHER_COUNTRIES)
    weights = _list_literal(_MONTH_WEIGHTS)
    start = config.start_date.isoformat()
    last_day = config.days - 1
    return [
        # uniform [0, 1) and standard normal draws keyed by (entity, stream, index)
        f"create temp macro u(a, b, c) as (hash(a, b, c, {config.seed}) % 4294967291) / 4294967291.0",
        "create temp macro z(a, b) as sqrt(-2 * ln(greatest(u(a, b, 0), 1e-12))) * cos(2 * pi() * u(a, b, 1))",
        f"create temp macro season(d) as {weights}[month(date '{start}' + cast(d as integer))]",
        f"""
        create temp table demo_products as
        select
            p as product_key,
            cast(10002 + p * 7 % 89000 as varchar)
                || case when p % 6 = 0 then chr(65 + cast(p % 5 as integer)) else '' end
                as stock_code,
            {_list_literal(_ADJECTIVES)}[1 + cast(floor(u(p, 1, 0) * {len(_ADJECTIVES)}) as integer)]
                || ' ' ||
            {_list_literal(_NOUNS)}[1 + cast(floor(u(p, 2, 0) * {len(_NOUNS)}) as integer)]
                as description,
            greatest(0.19, round(exp(ln(2.5) + 0.8 * z(p, 3)), 2)) as unit_price
        from range({config.products}) as products(p)
        """,
        f"""
        create temp table demo_customers as
        with drawn as (
            select
                i as customer_key,
                12346 + i as customer_id,
                case when u(i, 10, 0) < 0.89 then 'United Kingdom'
                    else {countries}[1 + cast(floor(u(i, 11, 0) * {len(_OTHER_COUNTRIES)}) as integer)]
                end as country,
                least(25, exp(0.9 * z(i, 12))) as value_multiplier,
                case when u(i, 13, 0) < 0.35 then 0
                    else cast(floor(u(i, 14, 0) * ({config.days} - 14)) as integer) end as first_day,
                case when u(i, 15, 0) < 0.45
                    then cast(floor(-ln(greatest(u(i, 16, 0), 1e-9)) * 120) as integer) + 1
                end as lifetime_days,
                0.55 * exp(0.9 * z(i, 17)) as orders_per_month
            from range({customers}) as customers(i)
        )
        select
            *,
            least({last_day}, first_day + coalesce(lifetime_days, {config.days})) as last_day
        from drawn
        """,
        # Candidate order days are thinned by the month weight (mean ~0.7), hence x1.5.
        f"""
        create temp table demo_orders_identified as
        with candidates as (
            select
                demo_customers.*,
                k,
                case when k = 0 then first_day
                    else first_day + cast(floor(u(customer_key, 20, k) * (last_day - first_day + 1)) as integer)
                end as order_day
            from demo_customers,
                range(cast(least(400, 1 + floor(orders_per_month
                    * (last_day - first_day + 1) / 30.0 * 1.5)) as bigint)) as draws(k)
        )
        select
            customer_key * 1000 + k as order_key,
            customer_id,
            country,
            value_multiplier,
            order_day,
            false as is_guest,
            cast(least(250, 1 + floor(-ln(greatest(u(customer_key, 22, k), 1e-9))
                * {_LINES_PER_ORDER} * sqrt(least(value_multiplier, 4)))) as integer) as line_count
        from candidates
        where k = 0 or u(customer_key, 21, k) < season(order_day)
        """,
        # Guest checkouts: a quarter of all lines, in larger baskets.
        f"""
        create temp table demo_orders as
        with identified_lines as (
            select sum(line_count) as lines from demo_orders_identified
        ),
        guest_candidates as (
            select
                g,
                cast(floor(u(g, 30, 0) * {config.days}) as integer) as order_day
            from identified_lines,
                range(cast(ceil(identified_lines.lines / 3.0 / {_GUEST_LINES_PER_ORDER} * 1.45) as bigint))
                    as draws(g)
        )
        select * from demo_orders_identified
        union all
        select
            -1 - g as order_key,
            null as customer_id,
            case when u(g, 31, 0) < 0.95 then 'United Kingdom' else 'EIRE' end as country,
            1.0 as value_multiplier,
            order_day,
            true as is_guest,
            cast(least(400, 1 + floor(-ln(greatest(u(g, 32, 0), 1e-9))
                * {_GUEST_LINES_PER_ORDER})) as integer) as line_count
        from guest_candidates
        where u(g, 33, 0) < season(order_day)
        """,
        f"""
        create temp view demo_documents as
        with purchases as (
            select
                order_key as document_key,
                'purchase' as document_type,
                customer_id,
                country,
                timestamp '{start}' + to_days(order_day)
                    + to_minutes(cast(7 * 60 + floor(u(order_key, 40, 0) * 12 * 60) as integer))
                    as document_at
            from demo_orders
        ),
        cancellations as (
            select
                order_key as document_key,
                'cancellation' as document_type,
                customer_id,
                country,
                least(
                    timestamp '{start}' + to_days({last_day}) + interval 19 hour,
                    timestamp '{start}' + to_days(order_day + cast(floor(u(order_key, 41, 0) * 21) as integer))
                        + to_minutes(cast(8 * 60 + floor(u(order_key, 42, 0) * 10 * 60) as integer))
                ) as document_at
            from demo_orders
            where not is_guest and u(order_key, 43, 0) < 0.04
        ),
        adjustments as (
            select
                a as document_key,
                'adjustment' as document_type,
                null as customer_id,
                'United Kingdom' as country,
                timestamp '{start}' + to_days(cast(floor(u(a, 44, 0) * {config.days}) as integer))
                    + interval 10 hour as document_at
            from range({max(1, config.rows // 250)}) as draws(a)
        ),
        bad_debts as (
            select
                b as document_key,
                'bad_debt' as document_type,
                null as customer_id,
                'United Kingdom' as country,
                timestamp '{start}' + to_days(cast(floor(u(b, 45, 0) * {config.days}) as integer))
                    + interval 14 hour as document_at
            from range({max(1, config.rows // 200_000)}) as draws(b)
        ),
        documents as (
            select * from purchases
            union all select * from cancellations
            union all select * from adjustments
            union all select * from bad_debts
        )
        select
            *,
            {_FIRST_INVOICE} - 1 + row_number() over (
                order by document_at, document_type, document_key
            ) as invoice_number
        from documents
        """,
        f"""
        create temp view demo_lines as
        with purchase_lines as (
            select
                demo_orders.order_key,
                demo_orders.country,
                demo_orders.value_multiplier,
                demo_orders.is_guest,
                line_no,
                cast(floor({config.products} * pow(u(demo_orders.order_key, 50, line_no), 2.2)) as integer)
                    as product_key,
                case when u(demo_orders.order_key, 51, line_no) < 0.55
                    then 1 + floor(u(demo_orders.order_key, 52, line_no) * 4)
                    else (1 + floor(u(demo_orders.order_key, 52, line_no) * 4)) * 6
                end as base_quantity
            from demo_orders, range(demo_orders.line_count) as lines(line_no)
        ),
        product_lines as (
            select
                purchase_lines.order_key,
                purchase_lines.line_no,
                demo_products.stock_code,
                demo_products.description,
                cast(greatest(1, round(purchase_lines.base_quantity
                    * least(purchase_lines.value_multiplier, 12))) as integer) as quantity,
                case when u(purchase_lines.order_key, 53, purchase_lines.line_no) < 0.003 then 0.0
                    else demo_products.unit_price end as unit_price
            from purchase_lines
            inner join demo_products on purchase_lines.product_key = demo_products.product_key
        ),
        service_lines as (
            select
                order_key,
                1000 + service_no as line_no,
                [ 'POST', 'DOT', 'M', 'C2', 'BANK CHARGES', 'CRUK' ][service_no + 1] as stock_code,
                [ 'POSTAGE', 'DOTCOM POSTAGE', 'Manual', 'CARRIAGE', 'Bank Charges',
                  'CRUK Commission' ][service_no + 1] as description,
                1 as quantity,
                round(case service_no
                    when 0 then 18 + 10 * floor(u(order_key, 60, 0) * 3)
                    when 1 then line_count * 0.9
                    when 2 then 0.5 + u(order_key, 61, 0) * 300
                    when 3 then 50
                    when 4 then 15
                    else 1.6 + u(order_key, 62, 0) * 100
                end, 2) as unit_price
            from demo_orders, range(6) as services(service_no)
            where case service_no
                when 0 then country not in ('United Kingdom', 'EIRE') and u(order_key, 63, 0) < 0.4
                when 1 then is_guest and u(order_key, 64, 0) < 0.35
                when 2 then u(order_key, 65, 0) < 0.003
                when 3 then country = 'EIRE' and u(order_key, 66, 0) < 0.3
                when 4 then u(order_key, 67, 0) < 0.0005
                else not is_guest and u(order_key, 68, 0) < 0.0003
            end
        ),
        order_lines as (
            select * from product_lines
            union all
            select order_key, line_no, stock_code, description, quantity, unit_price from service_lines
        ),
        cancellation_lines as (
            select
                order_key,
                line_no,
                stock_code,
                description,
                -quantity as quantity,
                unit_price
            from order_lines
            where line_no < 1000
                and (line_no = 0 or u(order_key, 70, line_no) < 0.5)
                and order_key in (
                    select document_key from demo_documents where document_type = 'cancellation'
                )
            union all
            select
                document_key as order_key,
                2000 as line_no,
                'D' as stock_code,
                'Discount' as description,
                -1 as quantity,
                round(1 + u(document_key, 71, 0) * 40, 2) as unit_price
            from demo_documents
            where document_type = 'cancellation' and u(document_key, 72, 0) < 0.1
        ),
        adjustment_lines as (
            select
                document_key as order_key,
                0 as line_no,
                demo_products.stock_code,
                ['damaged', 'check', null, 'lost', 'wet damaged'][
                    1 + cast(floor(u(document_key, 80, 0) * 5) as integer)] as description,
                -cast(1 + floor(u(document_key, 81, 0) * 48) as integer) as quantity,
                0.0 as unit_price
            from demo_documents
            inner join demo_products
                on demo_products.product_key
                    = cast(floor(u(demo_documents.document_key, 82, 0) * {config.products}) as integer)
            where document_type = 'adjustment'
        ),
        bad_debt_lines as (
            select
                document_key as order_key,
                0 as line_no,
                'B' as stock_code,
                'Adjust bad debt' as description,
                1 as quantity,
                -round(100 + u(document_key, 83, 0) * 10000, 2) as unit_price
            from demo_documents
            where document_type = 'bad_debt'
        ),
        typed_lines as (
            select 'purchase' as document_type, * from order_lines
            union all select 'cancellation', * from cancellation_lines
            union all select 'adjustment', * from adjustment_lines
            union all select 'bad_debt', * from bad_debt_lines
        )
        select
            demo_documents.invoice_number,
            case demo_documents.document_type
                when 'cancellation' then 'C' when 'bad_debt' then 'A' else ''
            end || demo_documents.invoice_number as invoice_no,
            typed_lines.line_no,
            typed_lines.stock_code,
            typed_lines.description,
            typed_lines.quantity,
            typed_lines.unit_price,
            demo_documents.document_at,
            demo_documents.customer_id,
            demo_documents.country
        from typed_lines
        inner join demo_documents
            on typed_lines.document_type = demo_documents.document_type
            and typed_lines.order_key = demo_documents.document_key
        """,
        # About 1% of lines are scanned twice: exact duplicate rows, as in the real file.
        """
        create temp view demo_output as
        with emitted as (
            select *, 0 as copy_no from demo_lines
            union all
            select *, 1 as copy_no from demo_lines
            where u(invoice_number, 90, line_no) < 0.01
        )
        select
            invoice_no as InvoiceNo,
            stock_code as StockCode,
            description as Description,
            quantity as Quantity,
            strftime(document_at, '%Y-%m-%d %H:%M:%S') as InvoiceDate,
            cast(unit_price as decimal(12, 2)) as UnitPrice,
            customer_id as CustomerID,
            country as Country
        from emitted
        order by invoice_number, line_no, copy_no
        """,
    ]
