"""The full UCI Online Retail file through ingest and dbt build, checked against plain pandas.

The pandas side re-implements the documented cleaning rules and feature
definitions independently of the SQL, then every customer's features are compared.
"""

from __future__ import annotations

import os

import duckdb
import numpy as np
import pandas as pd
import pytest

from tests.python.conftest import REAL_DATA, Workspace, make_workspace

# CI sets it: there a missing file is a failure, not a quiet skip.
REQUIRE_REAL_DATA_ENV = "RETAIL_REQUIRE_REAL_DATA"
if os.environ.get(REQUIRE_REAL_DATA_ENV) == "1" and not REAL_DATA.exists():
    pytest.fail(
        f"{REAL_DATA} not found and {REQUIRE_REAL_DATA_ENV}=1: the real-data tests must run here; "
        "put the shared UCI Online Retail file there (../shared beside the checkout)",
        pytrace=False,
    )

pytestmark = [
    pytest.mark.real_data,
    # One worker runs the module: its builds are module-scoped fixtures.
    pytest.mark.xdist_group("real_data"),
    pytest.mark.skipif(
        not REAL_DATA.exists(),
        reason=f"real-data tests skipped: {REAL_DATA} not found (the shared UCI Online Retail file)",
    ),
]

NON_PRODUCT_CODES = {
    "POST",
    "DOT",
    "C2",
    "M",
    "D",
    "S",
    "B",
    "BANK CHARGES",
    "AMAZONFEE",
    "CRUK",
    "PADS",
    "ADJUST",
    "ADJUST2",
    "TEST001",
    "TEST002",
}
EARLY_CUTOFF = "2011-09-10"


@pytest.fixture(scope="module")
def real_build(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    workspace = make_workspace(tmp_path_factory.mktemp("real"))
    workspace.run("ingest", REAL_DATA, check=True)
    workspace.run("build", check=True)
    return workspace


@pytest.fixture(scope="module")
def early_build(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """The file as most people download it (Latin-1, m/d/Y H:MM dates, Excel's 17850.0 ids), first built on an
    empty warehouse at a date inside the data: trains, scores and publishes (check: exit 0)."""
    workspace = make_workspace(tmp_path_factory.mktemp("real_early"))
    raw = pd.read_csv(REAL_DATA, dtype=str, keep_default_na=False)
    ordered_at = pd.to_datetime(raw["InvoiceDate"], format="%Y-%m-%d %H:%M:%S")
    assert (ordered_at.dt.second == 0).all()  # the download has no seconds to lose
    raw["InvoiceDate"] = ordered_at.dt.strftime("%-m/%-d/%Y %-H:%M")
    raw["CustomerID"] = raw["CustomerID"].where(raw["CustomerID"] == "", raw["CustomerID"] + ".0")
    download = workspace.root / "Online Retail.csv"
    raw.to_csv(download, index=False, encoding="latin-1")
    assert b"\xa3" in download.read_bytes() and b"\xc2\xa3" not in download.read_bytes()  # the pound sign, Latin-1
    workspace.run("ingest", download, check=True)
    workspace.run("build", "--as-of-date", EARLY_CUTOFF, check=True)
    return workspace


@pytest.fixture(scope="module")
def lines() -> pd.DataFrame:
    """Every source row with the rule flags, computed in pandas."""
    raw = pd.read_csv(REAL_DATA, dtype=str, keep_default_na=False)
    frame = pd.DataFrame(
        {
            "customer_id": raw["CustomerID"].str.strip(),
            "order_id": raw["InvoiceNo"].str.strip(),
            "product_id": raw["StockCode"].str.strip(),
            "ordered_at": pd.to_datetime(raw["InvoiceDate"], format="%Y-%m-%d %H:%M:%S"),
            "quantity": pd.to_numeric(raw["Quantity"]),
            "unit_price": pd.to_numeric(raw["UnitPrice"]),
        }
    )
    frame["amount"] = (frame["quantity"] * frame["unit_price"]).round(2)
    identified = frame["customer_id"] != ""
    duplicate = identified & raw.duplicated(keep="first")
    cancellation = frame["order_id"].str.startswith("C")
    code = frame["product_id"].str.upper()
    non_product = code.isin(NON_PRODUCT_CODES) | code.str.startswith("GIFT_")
    usable = identified & ~duplicate
    frame["is_missing_customer"] = ~identified
    frame["is_kept"] = usable & ~cancellation & (frame["quantity"] > 0) & (frame["unit_price"] > 0) & ~non_product
    frame["is_return"] = usable & cancellation & ~non_product & (frame["amount"] < 0)
    return frame


def pandas_features(lines: pd.DataFrame, cutoff: str) -> pd.DataFrame:
    at = pd.Timestamp(cutoff)
    kept = lines[lines["is_kept"] & (lines["ordered_at"] < at)]
    orders = (
        kept.groupby(["customer_id", "order_id"])
        .agg(ordered_at=("ordered_at", "min"), amount=("amount", "sum"))
        .reset_index()
    )
    per_customer = orders.groupby("customer_id").agg(
        frequency=("order_id", "count"),
        monetary=("amount", "sum"),
        first=("ordered_at", "min"),
        last=("ordered_at", "max"),
    )
    per_customer["orders_last_90d"] = (
        orders[orders["ordered_at"] >= at - pd.Timedelta(days=90)].groupby("customer_id").size()
    ).reindex(per_customer.index, fill_value=0)
    per_customer["unique_products"] = kept.groupby("customer_id")["product_id"].nunique()
    cutoff_day = at.normalize()
    per_customer["recency_days"] = (cutoff_day - per_customer["last"].dt.normalize()).dt.days
    per_customer["tenure_days"] = (cutoff_day - per_customer["first"].dt.normalize()).dt.days
    span = (per_customer["last"].dt.normalize() - per_customer["first"].dt.normalize()).dt.days
    per_customer["purchase_span_days"] = span
    per_customer["avg_interpurchase_days"] = np.where(
        per_customer["frequency"] > 1, span / (per_customer["frequency"] - 1), np.nan
    )
    returns = lines[lines["is_return"] & (lines["ordered_at"] < at)]
    returned = (-returns.groupby("customer_id")["amount"].sum()).reindex(per_customer.index, fill_value=0.0)
    per_customer["return_rate"] = returned / (per_customer["monetary"] + returned)
    return per_customer.drop(columns=["first", "last"])


def warehouse_features(workspace: Workspace) -> pd.DataFrame:
    rows = workspace.query(
        "select customer_id, frequency, cast(monetary as double), orders_last_90d, "
        "unique_products, recency_days, tenure_days, purchase_span_days, "
        "avg_interpurchase_days, return_rate from marts.customer_features"
    )
    columns = [
        "customer_id",
        "frequency",
        "monetary",
        "orders_last_90d",
        "unique_products",
        "recency_days",
        "tenure_days",
        "purchase_span_days",
        "avg_interpurchase_days",
        "return_rate",
    ]
    return pd.DataFrame(rows, columns=columns).set_index("customer_id")


def assert_features_match(expected: pd.DataFrame, actual: pd.DataFrame) -> None:
    assert sorted(actual.index) == sorted(expected.index)
    actual = actual.loc[expected.index, list(expected.columns)]
    for column in expected.columns:
        np.testing.assert_allclose(
            actual[column].astype(float),
            expected[column].astype(float),
            rtol=1e-9,
            atol=0.005,
            equal_nan=True,
            err_msg=column,
        )


def test_real_data_raw_keeps_every_row(real_build: Workspace) -> None:
    assert real_build.scalar("select count(*) from raw.transactions") == 541_909
    assert (
        real_build.scalar("select count(*) from raw.transactions where nullif(trim(customer_id), '') is null")
        == 135_080
    )


def test_real_data_quality_matches_pandas(real_build: Workspace, lines: pd.DataFrame) -> None:
    quality = dict(real_build.query("select rule_name, rows_affected from marts.data_quality"))

    assert quality["missing_customer_id"] == int(lines["is_missing_customer"].sum()) == 135_080
    assert quality["kept"] == int(lines["is_kept"].sum())
    assert sum(quality.values()) == 541_909  # type: ignore[arg-type]


def test_real_data_latin1_download_gives_the_same_rows_orders_and_quality(
    real_build: Workspace, early_build: Workspace
) -> None:
    """Read as Latin-1 with its own date format, every row lands where the UTF-8 file's does: the same
    cleaning counts and amounts and the same orders (its features are checked against pandas below)."""
    quality = "select * from marts.data_quality order by rule_order"
    orders = "select * exclude (last_load_id) from marts.fct_orders order by order_id"

    assert early_build.query("select encoding, datetime_format from raw.loads") == [("latin-1", "%m/%d/%Y %H:%M")]
    assert early_build.query(quality) == real_build.query(quality)
    assert early_build.query(orders) == real_build.query(orders)
    assert early_build.query("select count(*) from marts.fct_orders") == [(18_402,)]


def assert_first_build_published(workspace: Workspace, as_of: str) -> None:
    """The build exited 0 (the fixture checks) and published its scores; drift did not fail it."""
    published = workspace.query("select distinct as_of_date from reporting.publication", published=True)
    scored = workspace.query("select count(*), max(as_of_date) from reporting.customer_scores", published=True)

    assert [str(row[0]) for row in published] == [as_of]
    assert scored[0][0] > 1_000 and str(scored[0][1]) == as_of
    # A build that trained its models grades feature drift at most as information.
    statuses = workspace.query(
        "select distinct status from reporting.drift_report where check_name like 'feature_psi:%'"
    )
    assert {row[0] for row in statuses} <= {"ok", "info", "not_graded"}


def test_real_data_first_build_at_the_default_date_publishes(real_build: Workspace) -> None:
    assert_first_build_published(real_build, "2011-12-10")


def test_real_data_first_build_inside_the_data_publishes(early_build: Workspace) -> None:
    assert_first_build_published(early_build, EARLY_CUTOFF)


def test_real_data_features_match_pandas_for_every_customer(real_build: Workspace, lines: pd.DataFrame) -> None:
    as_of = real_build.scalar("select max(as_of_date) from marts.customer_features")
    assert str(as_of) == "2011-12-10"

    assert_features_match(pandas_features(lines, "2011-12-10"), warehouse_features(real_build))


def test_real_data_features_at_an_earlier_cutoff_match_pandas(early_build: Workspace, lines: pd.DataFrame) -> None:
    expected = pandas_features(lines, EARLY_CUTOFF)

    assert_features_match(expected, warehouse_features(early_build))


def test_real_data_known_customers(real_build: Workspace) -> None:
    features = warehouse_features(real_build)

    # 12346 bought 74,215 units once and cancelled them the same day.
    assert features.loc["12346", "frequency"] == 1
    assert features.loc["12346", "monetary"] == pytest.approx(77183.60)
    assert features.loc["12346", "return_rate"] == pytest.approx(0.5)
    assert features.loc["12347", "frequency"] == 7
    assert features.loc["12347", "recency_days"] == 3


def test_real_data_weekly_replay_records_history_and_transitions(
    real_build: Workspace, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # The last four weeks, to keep CI short; the full weekly replay (25 batches) is in the README.
    into = tmp_path_factory.mktemp("replay") / "retail.duckdb"
    result = real_build.run(
        "replay", "--by", "week", "--start", "2011-11-15", "--refit-every", "2", "--into", into, check=True
    )

    con = duckdb.connect(str(into), read_only=True)
    try:
        history = con.execute("select count(distinct as_of_date), count(*) from reporting.segment_size_history")
        builds, history_rows = history.fetchone() or (0, 0)
        moves = con.execute("select sum(customers) from reporting.segment_transition_matrix").fetchone()
        accounted = con.execute("select sum(rows_affected) from marts.data_quality").fetchone()
    finally:
        con.close()
    assert builds >= 4 and history_rows >= 4 * builds
    assert moves is not None and moves[0] > 0
    assert accounted == (541_909,)
    assert "segment_transitions:" in result.stdout and "->" in result.stdout
