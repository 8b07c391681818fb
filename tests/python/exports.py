"""Shop exports as people download them, made from the demo generator's Online-Retail-shaped lines.

Each writer takes the demo lines (a DataFrame of the demo CSV) and writes one
export shape; the tests then load and build it and compare with what the shape
must give. Nothing here comes from ../shared.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

SERVICE_CODES = Path(__file__).resolve().parents[2] / "seeds" / "non_product_stock_codes.csv"
SHOPIFY_OFFSET_HOURS = -5
SHOPIFY_MAPPING = {
    "customer_id": "Email",
    "order_id": "Name",
    "order_datetime": "Created at",
    "product_id": "Lineitem sku",
    "quantity": "Lineitem quantity",
    "unit_price": "Lineitem price",
    "cancelled_at": "Cancelled at",
    "refunded_amount": "Refunded Amount",
}
ORDER_TOTAL_MAPPING = {"customer_id": "cust", "order_datetime": "date", "order_total": "amount"}


def demo_lines(path: Path) -> pd.DataFrame:
    """The demo CSV as text, with parsed timestamps in ``ordered_at``."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame["ordered_at"] = pd.to_datetime(frame["InvoiceDate"], format="%Y-%m-%d %H:%M:%S")
    return frame


def is_service_code(codes: pd.Series) -> pd.Series:
    """Stock codes of seeds/non_product_stock_codes.csv (postage, fees, vouchers)."""
    seed = pd.read_csv(SERVICE_CODES, dtype=str)
    upper = codes.str.upper()
    exact = upper.isin(seed.loc[seed["match_type"] == "exact", "stock_code"].str.upper())
    prefixes = tuple(seed.loc[seed["match_type"] == "prefix", "stock_code"].str.upper())
    return exact | upper.str.startswith(prefixes)


def tagged(lines: pd.DataFrame, tag: str) -> pd.DataFrame:
    """The lines with customer ids ``<tag>-<id>`` and invoices ``<invoice>-<tag>`` (a C invoice stays one),
    so several exports of the same demo data can share one warehouse."""
    frame = lines.copy()
    known = frame["CustomerID"] != ""
    frame.loc[known, "CustomerID"] = f"{tag}-" + frame.loc[known, "CustomerID"]
    frame["InvoiceNo"] = frame["InvoiceNo"] + f"-{tag}"
    return frame


def write_european_csv(lines: pd.DataFrame, path: Path) -> None:
    """Semicolons between fields, decimal commas, day-first dotted dates: a German or French Excel export."""
    frame = lines.drop(columns="ordered_at").copy()
    frame["UnitPrice"] = frame["UnitPrice"].str.replace(".", ",", regex=False)
    frame["InvoiceDate"] = lines["ordered_at"].dt.strftime("%d.%m.%Y %H:%M:%S")
    frame.to_csv(path, sep=";", index=False)


def write_order_total_export(
    lines: pd.DataFrame, path: Path, future_rows: int = 0, unreadable_rows: int = 0
) -> pd.DataFrame:
    """One row per order: customer, YYYYMMDD date, total; no order or product ids (like the CDNOW file).

    Cancellation invoices become negative totals (returns). ``future_rows`` orders dated
    in 2099 stand for clock errors, ``unreadable_rows`` orders with the total ``N/A`` for
    values a shop system could not fill. Returns the orders written, with their parsed
    dates (and a null amount for the unreadable ones).
    """
    known = lines[lines["CustomerID"] != ""].copy()
    known["amount"] = known["Quantity"].astype(float) * known["UnitPrice"].astype(float)
    orders = (
        known.groupby("InvoiceNo", sort=False)
        .agg(cust=("CustomerID", "first"), ordered_at=("ordered_at", "min"), amount=("amount", "sum"))
        .reset_index(drop=True)
    )
    orders = orders[orders["amount"].round(2) != 0]
    future = pd.DataFrame(
        {
            "cust": orders["cust"].iloc[:future_rows].to_numpy(),
            "ordered_at": pd.Timestamp("2099-01-01"),
            "amount": 10.0,
        }
    )
    unreadable = orders.iloc[:unreadable_rows].assign(amount=np.nan)
    orders = pd.concat([orders, future, unreadable], ignore_index=True)
    dates = orders["ordered_at"].dt.strftime("%Y%m%d")
    written = pd.DataFrame({"cust": orders["cust"], "date": dates, "amount": orders["amount"].round(2)})
    written.to_csv(path, index=False, na_rep="N/A")
    return orders


def write_shopify_export(lines: pd.DataFrame, path: Path, seed: int = 7) -> pd.DataFrame:
    """A Shopify orders export: one row per line item, order-level fields on an order's first line only.

    Purchases only (the demo's C invoices have no Shopify form); instead 3% of
    orders carry ``Cancelled at`` (two hours after creation) and 5% a partial
    ``Refunded Amount``. ``Created at`` is shop time at UTC-5 with its offset.
    Returns the line items written, with ``is_first_line``, ``cancelled`` and
    ``refunded`` columns for the checks.
    """
    rng = np.random.default_rng(seed)
    items = lines[(lines["CustomerID"] != "") & ~lines["InvoiceNo"].str.startswith(("C", "A"))].copy()
    # Shopify has no double-scanned lines, and postage or fees are order fields,
    # not line items: drop the demo's exact copies and service codes.
    items = items[(items["Quantity"].astype(float) > 0) & ~is_service_code(items["StockCode"])]
    items = items.drop_duplicates().reset_index(drop=True)
    items["price"] = items["UnitPrice"].astype(float)
    items["line_total"] = items["Quantity"].astype(float) * items["price"]
    orders = items.groupby("InvoiceNo", sort=False)["line_total"].sum()
    draw = pd.Series(rng.random(len(orders)), index=orders.index)
    cancelled = draw < 0.03
    refunded = (draw >= 0.03) & (draw < 0.08)
    items["is_first_line"] = ~items.duplicated("InvoiceNo")
    items["cancelled"] = items["InvoiceNo"].map(cancelled)
    items["refunded"] = items["InvoiceNo"].map(refunded)
    local = items["ordered_at"] + pd.Timedelta(hours=SHOPIFY_OFFSET_HOURS)
    offset = f"{SHOPIFY_OFFSET_HOURS:+03d}00"
    first = items["is_first_line"]

    def first_only(values: pd.Series) -> pd.Series:
        return values.where(first, "")

    export = pd.DataFrame(
        {
            "Name": "#" + items["InvoiceNo"],
            "Email": first_only("customer" + items["CustomerID"] + "@example.com"),
            "Financial Status": first_only(pd.Series("paid", index=items.index)),
            "Created at": first_only(local.dt.strftime("%Y-%m-%d %H:%M:%S") + " " + offset),
            "Lineitem quantity": items["Quantity"],
            "Lineitem name": items["Description"],
            "Lineitem price": items["price"].map("{:.2f}".format),
            "Lineitem sku": items["StockCode"],
            "Total": first_only(items["InvoiceNo"].map(orders).map("{:.2f}".format)),
            "Cancelled at": first_only(
                (local + pd.Timedelta(hours=2)).dt.strftime("%Y-%m-%d %H:%M:%S").where(items["cancelled"], "")
                + np.where(items["cancelled"], " " + offset, "")
            ),
            "Refunded Amount": first_only(
                (items["InvoiceNo"].map(orders) * 0.25).map("{:.2f}".format).where(items["refunded"], "")
            ),
        }
    )
    export.to_csv(path, index=False)
    return items
