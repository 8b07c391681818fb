"""Exports other than Online Retail, built end to end: order-level totals, Shopify, the European CSV form.

One warehouse, one build: the demo data loaded four times, each load in another
export shape with its own customer ids (plain CSV; European CSV with ids
``EU-<id>``; an order-total export with ids ``T-<id>`` and no product or order
ids; a Shopify export keyed by email). Each load's rows, orders and customers
are then checked against what its shape must give.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.python.conftest import Workspace, make_workspace
from tests.python.exports import (
    ORDER_TOTAL_MAPPING,
    SHOPIFY_MAPPING,
    demo_lines,
    tagged,
    write_european_csv,
    write_order_total_export,
    write_shopify_export,
)

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("shop_exports")]

PLAIN, EUROPEAN, ORDER_TOTAL, SHOPIFY = 1, 2, 3, 4
RULES_SQL = """
select coalesce(exclusion_reason, 'kept'), count(*), cast(sum(line_amount) as double)
from intermediate.int_transaction_lines_classified
where load_id = ?
group by 1
"""


@dataclass(frozen=True)
class ShopBuild:
    workspace: Workspace
    orders: pd.DataFrame  # the order-total export's rows
    items: pd.DataFrame  # the Shopify export's line items

    def rules(self, load_id: int) -> dict[str, tuple[int, float]]:
        rows = self.workspace.query(RULES_SQL, [load_id])
        return {str(rule): (int(count), round(float(amount or 0), 2)) for rule, count, amount in rows}  # type: ignore[call-overload]

    def features(self, columns: str, where: str) -> pd.DataFrame:
        con = duckdb.connect(str(self.workspace.warehouse), read_only=True)
        try:
            frame = con.execute(f"select customer_id, {columns} from marts.customer_features where {where}").df()
        finally:
            con.close()
        return frame.set_index("customer_id")


@pytest.fixture(scope="module")
def shop_build(tmp_path_factory: pytest.TempPathFactory) -> ShopBuild:
    workspace = make_workspace(tmp_path_factory.mktemp("exports"))
    root = workspace.root
    demo = root / "demo.csv"
    workspace.run("demo-data", "--rows", "30000", "--out", demo, check=True)
    lines = demo_lines(demo)
    write_european_csv(tagged(lines, "EU"), root / "export_de.csv")
    orders = write_order_total_export(tagged(lines, "T"), root / "orders.csv", future_rows=3, unreadable_rows=2)
    items = write_shopify_export(lines, root / "orders_export_1.csv")
    mappings = {"orders.csv": ORDER_TOTAL_MAPPING, "orders_export_1.csv": SHOPIFY_MAPPING}
    for name in ("demo.csv", "export_de.csv", "orders.csv", "orders_export_1.csv"):
        options: list[str | Path] = ["--append"] if name != "demo.csv" else []
        if name in mappings:
            (root / f"{name}.json").write_text(json.dumps(mappings[name]))
            options += ["--mapping", root / f"{name}.json"]
        workspace.run("ingest", root / name, *options, check=True)
    workspace.run("build", check=True)
    return ShopBuild(workspace, orders, items)


def test_order_total_export_without_product_or_order_ids_builds_with_scores(shop_build: ShopBuild) -> None:
    orders = shop_build.orders
    real = orders[orders["ordered_at"] < pd.Timestamp("2099-01-01")]
    rules = shop_build.rules(ORDER_TOTAL)

    assert rules["future_dated"] == (3, 30.0)
    # Totals of N/A: kept by ingest as unparseable, counted by the first rule, no amount.
    assert rules["unparseable_value"] == (2, 0.0) and orders["amount"].isna().sum() == 2
    assert rules["cancellation"][0] == int((real["amount"] < 0).sum())  # negative totals are returns
    assert rules["kept"][0] == int((real["amount"] > 0).sum())
    assert sum(count for count, _ in rules.values()) == len(orders)
    # Clock errors never move the default as_of_date.
    as_of = (real["ordered_at"].max() + timedelta(days=1)).date()
    assert shop_build.workspace.query("select max(as_of_date) from reporting.publication", published=True) == [(as_of,)]
    # Every row is its own order; the product features are null, not zero.
    features = shop_build.features(
        "frequency, unique_products, avg_unit_price, avg_items_per_order", "customer_id like 'T-%'"
    )
    purchases = real[real["amount"] > 0]
    assert features["frequency"].to_dict() == purchases.groupby("cust").size().to_dict()
    assert features[["unique_products", "avg_unit_price", "avg_items_per_order"]].isna().all().all()
    scored = shop_build.workspace.query(
        "select count(*), count(churn_probability), count(predicted_ltv), count(segment_id) "
        "from reporting.customer_scores where customer_id like 'T-%'",
        published=True,
    )
    assert scored == [(len(features),) * 4]


def test_shopify_export_builds_with_utc_times_cancellations_and_refunds(shop_build: ShopBuild) -> None:
    items = shop_build.items.assign(customer_id=lambda frame: "customer" + frame["CustomerID"] + "@example.com")
    live = items[~items["cancelled"]]
    rules = shop_build.rules(SHOPIFY)

    assert "unparseable_value" not in rules  # order-level fields on the first line only are filled per order
    assert rules["cancellation"][0] == int(items["cancelled"].sum())
    assert rules["non_positive_price"][0] == int((live["price"] == 0).sum())  # free items, as in the demo
    assert rules["kept"][0] == int((live["price"] > 0).sum())
    # "2010-12-01 02:06:00 -0500" is 07:06 UTC: the demo's own timestamps.
    stored = dict(
        shop_build.workspace.query("select order_id, ordered_at from marts.fct_orders where order_id like '#%'")
    )
    expected = live[live["price"] > 0].groupby("InvoiceNo")["ordered_at"].min()
    assert stored == {f"#{invoice}": when.to_pydatetime() for invoice, when in expected.items()}
    # Cancelled orders and refunds become the customer's returns; kept lines their spend.
    order_totals = items.groupby("InvoiceNo")["line_total"].sum()
    orders = items.drop_duplicates("InvoiceNo").set_index("InvoiceNo")
    refunds = (orders["refunded"] & ~orders["cancelled"]) * (order_totals * 0.25).round(2)
    oracle = pd.DataFrame(
        {
            "monetary": live.groupby("customer_id")["line_total"].sum(),
            "returned_amount": (orders["cancelled"] * order_totals + refunds).groupby(orders["customer_id"]).sum(),
            "cancelled_orders": (orders["cancelled"] | orders["refunded"]).groupby(orders["customer_id"]).sum(),
        }
    ).dropna(subset=["monetary"])
    features = shop_build.features("monetary, returned_amount, cancelled_orders", "customer_id like '%@example.com'")
    assert sorted(features.index) == sorted(oracle.index)
    for column in oracle.columns:
        assert features[column].astype(float).round(2).to_dict() == pytest.approx(
            oracle[column].astype(float).round(2).to_dict(), abs=0.011
        ), column
    assert oracle["cancelled_orders"].sum() > 20  # the fixture exercises both kinds


def test_european_csv_gives_the_same_rows_and_features_as_the_plain_csv(shop_build: ShopBuild) -> None:
    workspace = shop_build.workspace
    every_column = "* exclude (customer_id)"
    plain = shop_build.features(every_column, "customer_id not like '%-%' and customer_id not like '%@%'")
    european = shop_build.features(every_column, "customer_id like 'EU-%'")
    european.index = european.index.str.removeprefix("EU-")

    assert workspace.query("select decimal_separator from raw.loads where load_id = 2") == [(",",)]
    assert shop_build.rules(EUROPEAN) == shop_build.rules(PLAIN)
    assert len(plain) > 100
    pd.testing.assert_frame_equal(european.sort_index(), plain.sort_index())
