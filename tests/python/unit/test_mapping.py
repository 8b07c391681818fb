from __future__ import annotations

import json
from pathlib import Path

import pytest

from models_py.errors import RetailError
from models_py.ingest.mapping import load_mapping, parse_mapping, quote_identifier, resolve_mapping

ONLINE_RETAIL_I = [
    "InvoiceNo",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "UnitPrice",
    "CustomerID",
    "Country",
]
ONLINE_RETAIL_II = [
    "Invoice",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "Price",
    "Customer ID",
    "Country",
]


@pytest.mark.parametrize("header", [ONLINE_RETAIL_I, ONLINE_RETAIL_II])
def test_resolve_mapping_recognises_online_retail_headers(header: list[str]) -> None:
    mapping = resolve_mapping(header, None, "file.csv")

    assert mapping.columns["order_id"] == header[0]
    assert mapping.columns["unit_price"] == header[5]
    assert mapping.columns["customer_id"] == header[6]
    assert mapping.columns["order_datetime"] == "InvoiceDate"
    assert not mapping.uses_order_total


def test_resolve_mapping_recognises_canonical_names() -> None:
    header = ["customer_id", "order_id", "order_datetime", "product_id", "order_total"]

    mapping = resolve_mapping(header, None, "file.csv")

    assert mapping.uses_order_total
    assert mapping.columns["order_total"] == "order_total"


def test_resolve_mapping_unknown_header_names_missing_fields_and_columns() -> None:
    header = ["ClientNumber", "TxnID", "PurchaseDate", "SKU", "Units", "Price"]

    with pytest.raises(RetailError) as error:
        resolve_mapping(header, None, "shop.csv")

    message = str(error.value)
    assert "shop.csv" in message
    assert "customer_id" in message and "order_id" in message
    assert "'ClientNumber'" in message and "--mapping" in message


def test_resolve_mapping_rejects_column_absent_from_file() -> None:
    mapping = parse_mapping(
        {
            "customer_id": "Client",
            "order_id": "TxnID",
            "order_datetime": "PurchaseDate",
            "product_id": "SKU",
            "order_total": "Total",
        },
        "map.json",
    )

    with pytest.raises(RetailError, match=r"column 'Client' for customer_id.*'ClientNumber'"):
        resolve_mapping(["ClientNumber", "TxnID", "PurchaseDate", "SKU", "Total"], mapping, "f.csv")


def test_resolve_mapping_requires_amount_fields() -> None:
    mapping = parse_mapping(
        {"customer_id": "c", "order_id": "o", "order_datetime": "d", "product_id": "p", "quantity": "q"},
        "map.json",
    )

    with pytest.raises(RetailError, match=r"quantity \+ unit_price \(or order_total\)"):
        resolve_mapping(["c", "o", "d", "p", "q"], mapping, "f.csv")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ([1, 2], "must be an object"),
        ({"customer": "x"}, "unknown key"),
        ({"customer_id": 5}, "non-empty string"),
        ({"customer_id": "  "}, "non-empty string"),
    ],
)
def test_parse_mapping_rejects_malformed_mappings(raw: object, expected: str) -> None:
    with pytest.raises(RetailError, match=expected):
        parse_mapping(raw, "map.json")


def test_load_mapping_reads_json_and_yaml(tmp_path: Path) -> None:
    content = {"customer_id": "ClientNumber", "order_id": "TxnID", "datetime_format": "%d/%m/%Y"}
    json_path = tmp_path / "map.json"
    json_path.write_text(json.dumps(content))
    yaml_path = tmp_path / "map.yml"
    yaml_path.write_text("customer_id: ClientNumber\norder_id: TxnID\ndatetime_format: '%d/%m/%Y'\n")

    from_json = load_mapping(json_path)
    from_yaml = load_mapping(yaml_path)

    assert from_json == from_yaml
    assert from_json.datetime_format == "%d/%m/%Y"


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("missing.json", None, "does not exist"),
        ("map.txt", "{}", "use a .json"),
        ("map.json", "{not json", "not valid"),
        ("map.yaml", "a: [b", "not valid"),
    ],
)
def test_load_mapping_bad_files_give_clear_errors(
    tmp_path: Path, name: str, content: str | None, expected: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content)

    with pytest.raises(RetailError, match=expected):
        load_mapping(path)


def test_quote_identifier_escapes_embedded_quotes() -> None:
    assert quote_identifier('x"; drop table raw.transactions; --') == ('"x""; drop table raw.transactions; --"')
