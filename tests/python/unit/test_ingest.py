from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from models_py.errors import RetailError
from models_py.ingest.loading import detect_format, ingest_file
from models_py.ingest.mapping import parse_mapping

HEADER_I = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"
ROWS_I = [
    "536365,85123A,WHITE HANGING HEART,6,2010-12-01 08:26:00,2.55,17850,United Kingdom",
    "536365,71053,WHITE METAL LANTERN,6,2010-12-01 08:26:00,3.39,17850,United Kingdom",
    "C536379,D,Discount,-1,2010-12-01 09:41:00,27.50,14527,United Kingdom",
    '536381,22139,"RETRO, SPOT TEA SET",1,2010-12-01 09:41:00,4.95,,United Kingdom',
]
SHOP_MAPPING = {
    "customer_id": "ClientNumber",
    "order_id": "TxnID",
    "order_datetime": "PurchaseDate",
    "product_id": "SKU",
    "quantity": "Units",
    "unit_price": "Price",
}
TOTAL_MAPPING = {
    "customer_id": "ClientNumber",
    "order_id": "TxnID",
    "order_datetime": "PurchaseDate",
    "product_id": "SKU",
    "order_total": "OrderTotal",
}


def write_csv(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def raw_rows(warehouse: Path, columns: str = "transactions.*, file_name") -> pd.DataFrame:
    """raw.transactions' rows, with their load's columns (raw.loads) at hand."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(
            f"select {columns} from raw.transactions as transactions "
            "inner join raw.loads as loads on transactions._load_id = loads.load_id "
            "order by _load_id, _source_row_number"
        ).df()
    finally:
        con.close()


def parsed_datetimes(warehouse: Path) -> list[str]:
    """The raw date texts read with the format the load recorded (Python's strptime, not our parser)."""
    rows = raw_rows(warehouse, "order_datetime, datetime_format")
    return [
        datetime.strptime(text, recorded).strftime("%Y-%m-%d %H:%M")
        for text, recorded in zip(rows["order_datetime"], rows["datetime_format"], strict=True)
    ]


def test_ingest_csv_keeps_every_row_with_load_metadata(tmp_path: Path, warehouse: Path) -> None:
    source = write_csv(tmp_path / "retail.csv", HEADER_I, ROWS_I)

    result = ingest_file(source, warehouse)

    rows = raw_rows(warehouse)
    assert result.rows == 4 and result.load_id == 1 and result.bad_rows == 0
    assert rows["_source_row_number"].tolist() == [1, 2, 3, 4]
    assert set(rows["file_name"]) == {"retail.csv"}
    assert rows["order_id"].tolist() == ["536365", "536365", "C536379", "536381"]
    assert rows["description"].iloc[3] == "RETRO, SPOT TEA SET"
    assert pd.isna(rows["customer_id"].iloc[3])
    assert raw_rows(warehouse, "datetime_format")["datetime_format"].iloc[0] == "%Y-%m-%d %H:%M:%S"
    assert parsed_datetimes(warehouse)[0] == ROWS_I[0].split(",")[4][:16]


def test_ingest_gzipped_csv(tmp_path: Path, warehouse: Path) -> None:
    import gzip

    path = tmp_path / "retail.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write("\n".join([HEADER_I, *ROWS_I]) + "\n")

    assert ingest_file(path, warehouse).rows == 4


def test_ingest_shop_export_with_quantity_mapping(tmp_path: Path, warehouse: Path) -> None:
    source = write_csv(
        tmp_path / "shop.csv",
        "TxnID,ClientNumber,SKU,Units,Price,PurchaseDate",
        ["T1,C-001,SKU9,2,9.99,12/25/2023 14:05", "T2,C-002,SKU7,1,5.00,1/3/2024 9:15"],
    )

    result = ingest_file(source, warehouse, parse_mapping(SHOP_MAPPING, "map"))

    rows = raw_rows(warehouse)
    assert result.datetime_format == "%m/%d/%Y %H:%M"
    assert parsed_datetimes(warehouse) == ["2023-12-25 14:05", "2024-01-03 09:15"]
    assert rows["customer_id"].tolist() == ["C-001", "C-002"]
    assert rows["quantity"].tolist() == ["2", "1"]
    assert rows["order_total"].isna().all()


def test_datetime_format_of_a_large_file_is_read_from_rows_spread_over_it(
    tmp_path: Path, warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Above the scan size, every n-th row is read: the day-first dates that settle the format
    # come only at the end of this file, so a sample of its first rows would pick month-first.
    monkeypatch.setattr("models_py.ingest.loading._FORMAT_SCAN_ROWS", 10)
    ambiguous = [f"T{n},C-1,SKU,1,1.00,{n % 12 + 1:02d}/01/2024" for n in range(150)]
    day_first = [f"T{n},C-1,SKU,1,1.00,{n % 15 + 13}/02/2024" for n in range(150, 200)]
    source = write_csv(tmp_path / "long.csv", "TxnID,ClientNumber,SKU,Units,Price,PurchaseDate", ambiguous + day_first)

    result = ingest_file(source, warehouse, parse_mapping(SHOP_MAPPING, "map"))

    assert result.datetime_format == "%d/%m/%Y"
    assert result.bad_rows == 0


def test_ingest_shop_export_with_order_total_mapping(tmp_path: Path, warehouse: Path) -> None:
    source = write_csv(
        tmp_path / "totals.csv",
        "TxnID,ClientNumber,SKU,OrderTotal,PurchaseDate",
        ["T1,C-001,SKU9,19.98,25/12/2023", "T2,C-002,SKU7,5.00,13/01/2024"],
    )

    result = ingest_file(source, warehouse, parse_mapping(TOTAL_MAPPING, "map"))

    rows = raw_rows(warehouse)
    assert result.datetime_format == "%d/%m/%Y"
    assert parsed_datetimes(warehouse) == ["2023-12-25 00:00", "2024-01-13 00:00"]
    assert rows["order_total"].tolist() == ["19.98", "5.00"]
    assert rows["quantity"].isna().all() and rows["unit_price"].isna().all()
    assert rows["_parse_error"].isna().all()


def test_ingest_excel_reads_every_sheet(tmp_path: Path, warehouse: Path) -> None:
    header = ["Invoice", "StockCode", "Description", "Quantity", "InvoiceDate", "Price", "Customer ID", "Country"]
    first = pd.DataFrame(
        [["489434", "85048", "ROSE LAMP", 12, pd.Timestamp("2009-12-01 07:45"), 6.95, 13085.0, "UK"]],
        columns=header,
    )
    second = pd.DataFrame(
        [
            ["C539999", "22086", "PAPER CHAIN", -2, pd.Timestamp("2010-12-01 09:00"), 2.55, None, "UK"],
            ["540000", "22087", "PAPER BUNTING", 4, pd.Timestamp("2010-12-01 10:30"), 2.95, 12346.0, "UK"],
        ],
        columns=header,
    )
    path = tmp_path / "online_retail_II.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        first.to_excel(writer, sheet_name="Year 2009-2010", index=False)
        second.to_excel(writer, sheet_name="Year 2010-2011", index=False)

    result = ingest_file(path, warehouse)

    rows = raw_rows(warehouse)
    assert result.rows == 3
    assert rows["_source_sheet"].tolist() == ["Year 2009-2010", "Year 2010-2011", "Year 2010-2011"]
    assert rows["_source_row_number"].tolist() == [1, 2, 3]
    assert rows["order_datetime"].tolist()[0].startswith("2009-12-01 07:45")
    assert rows["_parse_error"].isna().all()


def test_ingest_parquet_casts_typed_columns_to_text(tmp_path: Path, warehouse: Path) -> None:
    frame = pd.DataFrame(
        {
            "InvoiceNo": ["1", "2"],
            "StockCode": ["A", "B"],
            "Quantity": [3, 4],
            "InvoiceDate": pd.to_datetime(["2011-01-02 03:04:05", "2011-01-03 00:00:00"]),
            "UnitPrice": [1.5, 2.25],
            "CustomerID": [12346, 12347],
        }
    )
    path = tmp_path / "retail.parquet"
    frame.to_parquet(path)

    ingest_file(path, warehouse)

    rows = raw_rows(warehouse)
    assert rows["quantity"].tolist() == ["3", "4"]
    assert rows["order_datetime"].tolist() == ["2011-01-02 03:04:05", "2011-01-03 00:00:00"]
    assert rows["_parse_error"].isna().all()
    assert rows["_source_row_number"].tolist() == [1, 2]


def test_ingest_parquet_with_its_own_file_row_number_column(tmp_path: Path, warehouse: Path) -> None:
    frame = pd.DataFrame(
        {
            "TxnID": ["T1", "T2", "T3"],
            "ClientNumber": ["C1", "C2", "C3"],
            "SKU": ["S", "S", "S"],
            "Units": ["1", "2", "x"],
            "Price": ["1.0", "2.0", "3.0"],
            "PurchaseDate": ["2024-01-01 10:00:00"] * 3,
            "file_row_number": ["r9", "r8", "r7"],
        }
    )
    path = tmp_path / "numbered.parquet"
    frame.to_parquet(path)

    result = ingest_file(path, warehouse, parse_mapping(SHOP_MAPPING, "map"), max_bad_share=0.5)

    rows = raw_rows(warehouse)
    assert result.rows == 3 and result.bad_rows == 1
    assert rows["_source_row_number"].tolist() == [1, 2, 3]
    assert rows["_parse_error"].tolist()[2] == "unparseable quantity"


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("data.json", "{}", "unknown file format"),
        ("data", "x", "unknown file format"),
        ("empty.csv", "", "file is empty"),
        ("header_only.csv", HEADER_I + "\n", "header but no data rows"),
    ],
)
def test_ingest_rejects_unusable_files(tmp_path: Path, warehouse: Path, name: str, content: str, expected: str) -> None:
    path = tmp_path / name
    path.write_text(content)

    with pytest.raises(RetailError, match=expected) as error:
        ingest_file(path, warehouse)

    assert str(path) in str(error.value)


def test_ingest_missing_file(tmp_path: Path, warehouse: Path) -> None:
    with pytest.raises(RetailError, match="does not exist"):
        ingest_file(tmp_path / "nope.csv", warehouse)


def test_ingest_corrupt_excel_names_the_file(tmp_path: Path, warehouse: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"this is not a zip archive")

    with pytest.raises(RetailError, match=r"broken\.xlsx: cannot be read as Excel"):
        ingest_file(path, warehouse)


def test_ingest_refuses_too_many_unparseable_rows_and_writes_nothing(tmp_path: Path, warehouse: Path) -> None:
    ingest_file(write_csv(tmp_path / "good.csv", HEADER_I, ROWS_I), warehouse)
    bad = write_csv(
        tmp_path / "bad.csv",
        HEADER_I,
        [*ROWS_I, "536400,85123A,HEART,six,2010-12-02 08:00:00,2.55,17850,United Kingdom"],
    )

    with pytest.raises(RetailError) as error:
        ingest_file(bad, warehouse, max_bad_share=0.1)

    message = str(error.value)
    assert "1 of 5 rows" in message and "row 5: unparseable quantity" in message
    assert "nothing was loaded" in message
    assert raw_rows(warehouse)["file_name"].unique().tolist() == ["good.csv"]


def test_ingest_keeps_unparseable_rows_with_reason_under_threshold(tmp_path: Path, warehouse: Path) -> None:
    source = write_csv(
        tmp_path / "mixed.csv",
        HEADER_I,
        [
            *ROWS_I,
            "536400,85123A,HEART,6,not a date,2.55,17850,United Kingdom",
            "536401,85123A,HEART,6,2010-12-02 08:00:00,,17850,United Kingdom",
        ],
    )

    result = ingest_file(source, warehouse, max_bad_share=0.5)

    rows = raw_rows(warehouse)
    assert result.bad_rows == 2 and len(rows) == 6
    assert rows["_parse_error"].tolist()[4:] == ["unparseable order_datetime", "missing unit_price"]


# Faults in every checked column, blanks written as nothing or as spaces, values padded with
# spaces, repeated faulty and clean values, and a row with two faults (the first one named).
FAULTY_ROWS = [
    ("536365", "85123A", "6", "2010-12-01 08:26:00", "2.55"),
    ("536366", "85123A", " 6 ", " 2010-12-01 08:26:00 ", " 2.55"),
    ("", "85123A", "6", "2010-12-01 08:26:00", "2.55"),
    ("536368", "  ", "6", "2010-12-01 08:26:00", "2.55"),
    ("536369", "71053", "6", "", "2.55"),
    ("536370", "71053", "6", "   ", "2.55"),
    ("536371", "71053", "6", "01/12/2010", "2.55"),
    ("536372", "71053", "6", "01/12/2010", "2.55"),
    ("536373", "71053", "", "2010-12-01 09:00:00", "2.55"),
    ("536374", "71053", "six", "2010-12-01 09:00:00", "2.55"),
    ("536375", "71053", "six", "2010-12-01 09:00:00", " "),
    ("536376", "71053", "6", "2010-12-01 09:00:00", "2.5.5"),
    ("536377", "71053", "6", "2010-12-01 09:00:00", "2.55"),
]


def expected_parse_error(order_id: str, product_id: str, quantity: str, when: str, price: str) -> str | None:
    """The first fault of a row in the documented order, with Python's own parsers."""
    for name, value in (("order_id", order_id), ("product_id", product_id), ("order_datetime", when)):
        if not value.strip():
            return f"missing {name}"
    try:
        datetime.strptime(when.strip(), "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return "unparseable order_datetime"
    for name, value in (("quantity", quantity), ("unit_price", price)):
        if not value.strip():
            return f"missing {name}"
        try:
            float(value.strip())
        except ValueError:
            return f"unparseable {name}"
    return None


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_ingest_names_each_rows_first_fault_whichever_columns_hold_faults(
    tmp_path: Path, warehouse: Path, suffix: str
) -> None:
    # Faulty rows alone, then with the faulty columns' rows dropped one column at a time: a check
    # is only written for a column where some value fails it, so each mix must still name every fault.
    frame = pd.DataFrame(FAULTY_ROWS, columns=["InvoiceNo", "StockCode", "Quantity", "InvoiceDate", "UnitPrice"])
    frame = frame.assign(Description="ITEM", CustomerID="17850", Country="United Kingdom")
    for kept in (list(range(13)), [0, 1, 8, 9, 10, 11, 12], [0, 1, 4, 5, 6, 7], [0, 1, 12]):
        part = frame.iloc[kept]
        source = tmp_path / f"faults_{len(kept)}{suffix}"
        if suffix == ".csv":
            part.to_csv(source, index=False)
        else:
            # Parquet keeps a blank as an empty string or a null: both, as exports write them.
            part.replace({"": None}).to_parquet(source, index=False)

        result = ingest_file(source, warehouse, max_bad_share=1.0)

        expected = [expected_parse_error(*FAULTY_ROWS[index]) for index in kept]
        loaded = [None if pd.isna(reason) else reason for reason in raw_rows(warehouse, "_parse_error")["_parse_error"]]
        assert loaded == expected, source.name
        assert result.bad_rows == sum(reason is not None for reason in expected)


def test_ingest_mapping_naming_absent_column_lists_file_columns(tmp_path: Path, warehouse: Path) -> None:
    source = write_csv(tmp_path / "shop.csv", "TxnID,Client,SKU,Units,Price,PurchaseDate", ["T1,C1,S,1,1.0,2024-01-01"])

    with pytest.raises(RetailError, match=r"'ClientNumber' for customer_id.*'Client'"):
        ingest_file(source, warehouse, parse_mapping(SHOP_MAPPING, "map"))

    con = duckdb.connect(str(warehouse), read_only=True)
    tables = con.execute("select table_name from information_schema.tables").fetchall()
    con.close()
    assert tables == []


def test_ingest_mapping_injection_is_rejected_as_unknown_column(tmp_path: Path, warehouse: Path) -> None:
    source = write_csv(
        tmp_path / "shop.csv", "TxnID,ClientNumber,SKU,Units,Price,PurchaseDate", ["T1,C1,S,1,1.0,2024-01-01"]
    )
    evil = {**SHOP_MAPPING, "customer_id": 'x"; drop table raw.transactions; --'}

    with pytest.raises(RetailError, match="has no such column"):
        ingest_file(source, warehouse, parse_mapping(evil, "map"))


def test_ingest_mapping_injection_is_a_literal_column_name(tmp_path: Path, warehouse: Path) -> None:
    evil_column = 'x"; drop table raw.transactions; --'
    ingest_file(write_csv(tmp_path / "first.csv", HEADER_I, ROWS_I), warehouse)
    frame = pd.DataFrame(
        {
            "TxnID": ["T1"],
            evil_column: ["C1"],
            "SKU": ["S"],
            "Units": ["1"],
            "Price": ["1.0"],
            "PurchaseDate": ["2024-01-01 10:00:00"],
        }
    )
    source = tmp_path / "evil.parquet"
    frame.to_parquet(source)

    ingest_file(source, warehouse, parse_mapping({**SHOP_MAPPING, "customer_id": evil_column}, "m"), append=True)

    rows = raw_rows(warehouse)
    assert len(rows) == len(ROWS_I) + 1
    assert rows["customer_id"].iloc[-1] == "C1"


def test_ingest_append_refuses_same_file_twice_unless_forced(tmp_path: Path, warehouse: Path) -> None:
    source = write_csv(tmp_path / "batch.csv", HEADER_I, ROWS_I)
    ingest_file(source, warehouse, append=True)

    with pytest.raises(RetailError, match=r"already loaded as load 1.*--force"):
        ingest_file(source, warehouse, append=True)
    forced = ingest_file(source, warehouse, append=True, force=True)

    rows = raw_rows(warehouse)
    assert forced.load_id == 2
    assert rows.groupby("_load_id").size().to_dict() == {1: 4, 2: 4}


def test_ingest_without_append_replaces_previous_loads(tmp_path: Path, warehouse: Path) -> None:
    ingest_file(write_csv(tmp_path / "a.csv", HEADER_I, ROWS_I), warehouse)

    result = ingest_file(write_csv(tmp_path / "b.csv", HEADER_I, ROWS_I[:2]), warehouse)

    rows = raw_rows(warehouse)
    assert result.replaced_rows == 4
    assert rows["file_name"].unique().tolist() == ["b.csv"] and len(rows) == 2
    con = duckdb.connect(str(warehouse), read_only=True)
    loads = con.execute("select load_id, mode, mapping_json from raw.loads").fetchall()
    con.close()
    # Load ids are never reused: incremental dbt models rely on it.
    assert [(load_id, mode) for load_id, mode, _ in loads] == [(1, "replace"), (2, "replace")]
    assert result.load_id == 2 and rows["_load_id"].unique().tolist() == [2]
    assert json.loads(loads[1][2])["order_id"] == "InvoiceNo"


def test_ingest_append_accepts_a_file_whose_load_was_replaced(tmp_path: Path, warehouse: Path) -> None:
    first = write_csv(tmp_path / "a.csv", HEADER_I, ROWS_I)
    ingest_file(first, warehouse)
    ingest_file(write_csv(tmp_path / "b.csv", HEADER_I, ROWS_I[:2]), warehouse)

    appended = ingest_file(first, warehouse, append=True)

    assert appended.load_id == 3 and len(raw_rows(warehouse)) == 6


def test_ingest_unrecognisable_dates_ask_for_a_format(tmp_path: Path, warehouse: Path) -> None:
    source = write_csv(
        tmp_path / "odd.csv", HEADER_I, ["1,A,d,1,Dec 1st 2010,1.0,5,UK", "2,A,d,1,Dec 2nd 2010,1.0,5,UK"]
    )

    with pytest.raises(RetailError, match=r'no value in a known date format.*"datetime_format"'):
        ingest_file(source, warehouse)


def test_ingest_uses_mapped_datetime_format(tmp_path: Path, warehouse: Path) -> None:
    source = write_csv(
        tmp_path / "dates.csv", HEADER_I, ["1,A,d,1,01/02/2011 10:00,1.0,5,UK", "2,A,d,1,03/04/2011 11:00,1.0,5,UK"]
    )
    mapping = parse_mapping(
        {
            "customer_id": "CustomerID",
            "order_id": "InvoiceNo",
            "order_datetime": "InvoiceDate",
            "product_id": "StockCode",
            "quantity": "Quantity",
            "unit_price": "UnitPrice",
            "datetime_format": "%d/%m/%Y %H:%M",
        },
        "map",
    )

    result = ingest_file(source, warehouse, mapping)

    assert result.datetime_format == "%d/%m/%Y %H:%M"
    # Day first as mapped, though month first would parse too.
    assert parsed_datetimes(warehouse) == ["2011-02-01 10:00", "2011-04-03 11:00"]


def test_detect_format_by_extension() -> None:
    assert detect_format(Path("a.CSV.GZ")) == "csv"
    assert detect_format(Path("a.xlsx")) == "excel"
    assert detect_format(Path("a.parquet")) == "parquet"
    with pytest.raises(RetailError):
        detect_format(Path("a.json.gz"))


def test_ingest_rejects_invalid_memory_limit(tmp_path: Path, warehouse: Path) -> None:
    source = write_csv(tmp_path / "retail.csv", HEADER_I, ROWS_I)

    with pytest.raises(RetailError, match="invalid memory limit 'lots'"):
        ingest_file(source, warehouse, memory_limit="lots")


def test_ingest_rejects_invalid_mapped_datetime_format(tmp_path: Path, warehouse: Path) -> None:
    source = write_csv(tmp_path / "retail.csv", HEADER_I, ROWS_I)
    mapping = parse_mapping(
        {
            "customer_id": "CustomerID",
            "order_id": "InvoiceNo",
            "order_datetime": "InvoiceDate",
            "product_id": "StockCode",
            "quantity": "Quantity",
            "unit_price": "UnitPrice",
            "datetime_format": "%Q-%d",
        },
        "map",
    )

    with pytest.raises(RetailError, match="'%Q-%d' is not a valid strptime format"):
        ingest_file(source, warehouse, mapping)


def test_dates_that_read_two_ways_take_the_earlier_loads_format_and_list_the_other(
    tmp_path: Path, warehouse: Path
) -> None:
    # A day-first history (13/12 tells), then a daily file of 1 December: 01/12/2011 is also 12 January.
    history = [
        "536365,85123A,WHITE HANGING HEART,6,13/12/2010 08:26,2.55,17850,United Kingdom",
        "536366,71053,WHITE METAL LANTERN,6,01/12/2010 09:00,3.39,17850,United Kingdom",
    ]
    day = ["581587,22138,BAKING SET,3,01/12/2011 09:00,4.95,12680,France"]

    first = ingest_file(write_csv(tmp_path / "history.csv", HEADER_I, history), warehouse)
    appended = ingest_file(write_csv(tmp_path / "day.csv", HEADER_I, day), warehouse, append=True)
    alone = ingest_file(write_csv(tmp_path / "day.csv", HEADER_I, day), tmp_path / "new.duckdb")

    assert (first.datetime_format, first.reading.datetime_format_also_fits) == ("%d/%m/%Y %H:%M", ())
    assert (appended.datetime_format, appended.reading.datetime_format_also_fits) == (
        "%d/%m/%Y %H:%M",
        ("%m/%d/%Y %H:%M",),
    )
    assert parsed_datetimes(warehouse)[-1] == "2011-12-01 09:00"
    # Nothing earlier to follow: the first known format that fits, and the other one named.
    assert (alone.datetime_format, alone.reading.datetime_format_also_fits) == ("%m/%d/%Y %H:%M", ("%d/%m/%Y %H:%M",))


def test_a_file_without_any_date_names_no_other_format(tmp_path: Path, warehouse: Path) -> None:
    rows = [row.replace("2010-12-01 08:26:00", "") for row in ROWS_I[:2]]

    result = ingest_file(write_csv(tmp_path / "undated.csv", HEADER_I, rows), warehouse, max_bad_share=1)

    assert result.bad_rows == 2 and result.reading.datetime_format_also_fits == ()
    assert set(raw_rows(warehouse, "_parse_error")["_parse_error"]) == {"missing order_datetime"}
