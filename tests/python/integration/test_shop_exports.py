"""Exports other than Online Retail, built end to end: order-level totals, Shopify, the European CSV form."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from tests.python.conftest import Workspace, make_workspace
from tests.python.exports import (
    ORDER_TOTAL_MAPPING,
    SHOPIFY_MAPPING,
    demo_lines,
    write_european_csv,
    write_order_total_export,
    write_shopify_export,
)

pytestmark = pytest.mark.integration

FEATURES_SQL = "select * from marts.customer_features order by customer_id"
QUALITY_SQL = "select rule_name, rows_affected, amount_affected from marts.data_quality order by rule_order"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workspace = make_workspace(tmp_path_factory.mktemp("exports_demo"))
    path = workspace.root / "demo.csv"
    workspace.run("demo-data", "--rows", "60000", "--out", path, check=True)
    return path


def _mapping(workspace: Workspace, mapping: dict[str, str]) -> Path:
    path = workspace.root / "mapping.json"
    path.write_text(json.dumps(mapping))
    return path


def _rules(workspace: Workspace) -> dict[str, tuple[int, float]]:
    return {str(rule): (int(rows), float(amount)) for rule, rows, amount in workspace.query(QUALITY_SQL)}  # type: ignore[call-overload]


def _published_as_of(workspace: Workspace) -> object:
    return workspace.query("select max(as_of_date) from reporting.publication", published=True)[0][0]


def test_order_total_export_without_product_or_order_ids_builds_with_scores(demo: Path, tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path)
    export = tmp_path / "orders.csv"
    orders = write_order_total_export(demo_lines(demo), export, future_rows=3)
    workspace.run("ingest", export, "--mapping", _mapping(workspace, ORDER_TOTAL_MAPPING), check=True)

    workspace.run("build", check=True)

    real = orders[orders["ordered_at"] < pd.Timestamp("2099-01-01")]
    as_of = (real["ordered_at"].max() + timedelta(days=1)).date()
    rules = _rules(workspace)
    assert rules["future_dated"] == (3, 30.0)
    assert rules["cancellation"][0] == int((real["amount"] < 0).sum())  # negative totals are returns
    assert rules["kept"][0] == int((real["amount"] > 0).sum())
    assert sum(rows for rows, _ in rules.values()) == len(orders)
    # Clock errors never move the default as_of_date, and every row is its own order.
    assert _published_as_of(workspace) == as_of
    assert workspace.scalar("select count(*) from marts.fct_orders") == rules["kept"][0]
    features = pd.DataFrame(
        workspace.query(
            "select customer_id, frequency, unique_products, avg_unit_price, avg_items_per_order "
            "from marts.customer_features"
        ),
        columns=["customer_id", "frequency", "unique_products", "avg_unit_price", "avg_items_per_order"],
    ).set_index("customer_id")
    purchases = real[real["amount"] > 0]
    assert features["frequency"].to_dict() == purchases.groupby("cust").size().to_dict()
    assert features[["unique_products", "avg_unit_price", "avg_items_per_order"]].isna().all().all()
    scored = workspace.query(
        "select count(*), count(churn_probability), count(predicted_ltv), count(segment_id) "
        "from reporting.customer_scores",
        published=True,
    )[0]
    assert scored == (len(features),) * 4


def test_shopify_export_builds_with_utc_times_cancellations_and_refunds(demo: Path, tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path)
    export = tmp_path / "orders_export_1.csv"
    items = write_shopify_export(demo_lines(demo), export)
    workspace.run("ingest", export, "--mapping", _mapping(workspace, SHOPIFY_MAPPING), check=True)

    workspace.run("build", check=True)

    rules = _rules(workspace)
    assert rules["unparseable_value"][0] == 0  # order-level fields on the first line only are filled per order
    items["customer_id"] = "customer" + items["CustomerID"] + "@example.com"
    live = items[~items["cancelled"]]
    assert rules["cancellation"][0] == int(items["cancelled"].sum())
    assert rules["non_positive_price"][0] == int((live["price"] == 0).sum())  # free items, as in the demo
    assert rules["kept"][0] == int((live["price"] > 0).sum())
    # "2010-12-01 02:06:00 -0500" is 07:06 UTC: the demo's own timestamps.
    stored = dict(workspace.query("select order_id, ordered_at from marts.fct_orders"))
    expected = live[live["price"] > 0].groupby("InvoiceNo")["ordered_at"].min()
    assert stored == {f"#{invoice}": when.to_pydatetime() for invoice, when in expected.items()}
    # Cancelled orders and refunds become the customer's returns; kept lines their spend.
    order_totals = items.groupby("InvoiceNo")["line_total"].sum()
    orders = items.drop_duplicates("InvoiceNo").set_index("InvoiceNo")
    returned = orders["cancelled"] * order_totals + (orders["refunded"] & ~orders["cancelled"]) * (
        order_totals * 0.25
    ).round(2)
    oracle = pd.DataFrame(
        {
            "monetary": live.groupby("customer_id")["line_total"].sum(),
            "returned_amount": returned.groupby(orders["customer_id"]).sum(),
            "cancelled_orders": (orders["cancelled"] | orders["refunded"]).groupby(orders["customer_id"]).sum(),
        }
    ).dropna(subset=["monetary"])
    features = pd.DataFrame(
        workspace.query("select customer_id, monetary, returned_amount, cancelled_orders from marts.customer_features"),
        columns=["customer_id", "monetary", "returned_amount", "cancelled_orders"],
    ).set_index("customer_id")
    assert sorted(features.index) == sorted(oracle.index)
    for column in oracle.columns:
        assert features[column].astype(float).round(2).to_dict() == pytest.approx(
            oracle[column].astype(float).round(2).to_dict(), abs=0.011
        ), column
    assert oracle["cancelled_orders"].sum() > 20  # the fixture exercises both kinds
    assert workspace.query("select count(*) from reporting.customer_scores", published=True)[0][0] == len(features)


def test_european_csv_builds_the_same_warehouse_as_the_plain_csv(demo: Path, tmp_path: Path) -> None:
    plain, european = make_workspace(tmp_path / "plain"), make_workspace(tmp_path / "european")
    export = tmp_path / "export_de.csv"
    write_european_csv(demo_lines(demo), export)
    subset = ("--select", "+data_quality", "+customer_features", "--indirect-selection", "cautious")
    for workspace, source in ((plain, demo), (european, export)):
        workspace.run("ingest", source, check=True)
        workspace.run("build", *subset, check=True)

    assert european.query("select distinct _decimal_separator from raw.transactions") == [(",",)]
    assert european.query(QUALITY_SQL) == plain.query(QUALITY_SQL)
    assert european.query(FEATURES_SQL) == plain.query(FEATURES_SQL)
    assert len(plain.query(FEATURES_SQL)) > 100
