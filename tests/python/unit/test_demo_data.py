from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest

from models_py.errors import RetailError
from models_py.ingest.demo_data import HEADER, DemoDataConfig, write_demo_data

SMALL = DemoDataConfig(rows=40_000, seed=7)


@pytest.fixture(scope="module")
def demo_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.csv"
    write_demo_data(path, SMALL)
    return path


def profile(path: Path, sql: str) -> tuple[object, ...]:
    con = duckdb.connect()
    con.execute(f"create view t as select * from read_csv('{path}', all_varchar = true)")
    row = con.execute(sql).fetchone()
    con.close()
    assert row is not None
    return row


def test_write_demo_data_is_deterministic(demo_csv: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.csv"
    other_seed = tmp_path / "other.csv"

    write_demo_data(again, SMALL)
    write_demo_data(other_seed, DemoDataConfig(rows=SMALL.rows, seed=8))

    digest = hashlib.sha256(demo_csv.read_bytes()).hexdigest()
    assert hashlib.sha256(again.read_bytes()).hexdigest() == digest
    assert hashlib.sha256(other_seed.read_bytes()).hexdigest() != digest


def test_write_demo_data_has_online_retail_header_and_size(demo_csv: Path) -> None:
    header = demo_csv.read_text().splitlines()[0].split(",")
    (rows,) = profile(demo_csv, "select count(*) from t")

    assert tuple(header) == HEADER
    assert 0.85 * SMALL.rows <= int(rows) <= 1.15 * SMALL.rows  # type: ignore[call-overload]


def test_write_demo_data_carries_the_real_data_problems(demo_csv: Path) -> None:
    row = profile(
        demo_csv,
        """
        select
            avg(case when CustomerID is null then 1.0 else 0 end),
            count(*) filter (where InvoiceNo like 'C%'),
            count(*) filter (where cast(Quantity as int) < 0 and InvoiceNo not like 'C%'),
            count(*) filter (where cast(UnitPrice as double) = 0),
            count(*) filter (where cast(UnitPrice as double) < 0),
            count(*) filter (where StockCode in ('POST', 'DOT', 'M', 'D', 'C2')),
            count(*) - (select count(*) from (select distinct * from t))
        from t
        """,
    )
    missing_share, cancellations, adjustments, zero_price, negative_price, service, dups = row

    assert 0.2 <= float(missing_share) <= 0.3  # type: ignore[arg-type]
    for count in (cancellations, adjustments, zero_price, service, dups):
        assert int(count) > 0  # type: ignore[call-overload]
    assert int(negative_price) >= 1  # type: ignore[call-overload]


def test_write_demo_data_has_a_christmas_peak_and_churners(demo_csv: Path) -> None:
    november, february, lapsed, value_ratio = profile(
        demo_csv,
        """
        with customers as (
            select
                CustomerID,
                max(cast(InvoiceDate as timestamp)) as last_at,
                sum(cast(Quantity as double) * cast(UnitPrice as double)) as spend
            from t
            where CustomerID is not null and InvoiceNo not like 'C%'
            group by 1
        )
        select
            (select count(distinct InvoiceNo) from t where month(cast(InvoiceDate as timestamp)) = 11),
            (select count(distinct InvoiceNo) from t where month(cast(InvoiceDate as timestamp)) = 2),
            (select avg(case when last_at < timestamp '2011-09-01' then 1.0 else 0 end) from customers),
            (select quantile_cont(spend, 0.95) / quantile_cont(spend, 0.5) from customers)
        """,
    )

    assert int(november) > 1.5 * int(february)  # type: ignore[call-overload]
    assert 0.15 <= float(lapsed) <= 0.6  # type: ignore[arg-type]
    assert float(value_ratio) > 5  # type: ignore[arg-type]


def test_write_demo_data_parquet_and_customers_override(tmp_path: Path) -> None:
    path = tmp_path / "demo.parquet"

    rows = write_demo_data(path, DemoDataConfig(rows=1_000, customers=30))

    (customers,) = profile_parquet(path)
    assert rows > 0 and int(customers) == 30  # type: ignore[call-overload]


def profile_parquet(path: Path) -> tuple[object, ...]:
    con = duckdb.connect()
    row = con.execute(f"select count(distinct CustomerID) from read_parquet('{path}')").fetchone()
    con.close()
    assert row is not None
    return row


@pytest.mark.parametrize(
    ("name", "config", "expected"),
    [
        ("demo.json", DemoDataConfig(rows=100), "written as"),
        ("demo.csv", DemoDataConfig(rows=0), "positive number of rows"),
        ("demo.csv", DemoDataConfig(customers=0), "positive number of customers"),
    ],
)
def test_write_demo_data_rejects_bad_arguments(
    tmp_path: Path, name: str, config: DemoDataConfig, expected: str
) -> None:
    with pytest.raises(RetailError, match=expected):
        write_demo_data(tmp_path / name, config)
