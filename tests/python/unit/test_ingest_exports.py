"""Files shaped like real downloads: encodings, delimiters, decimal commas, ragged rows, long lines."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import duckdb
import pytest

from models_py.errors import RetailError
from models_py.ingest.csv_files import duckdb_reason, legacy_encoding_of
from models_py.ingest.loading import ingest_file
from models_py.ingest.mapping import parse_mapping
from tests.python.exports import SHOPIFY_MAPPING

HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"
# Online Retail as most people download it: m/d/Y H:MM dates and Excel's float ids.
LINE = "5363{index:02d},85123A,WHITE HANGING HEART,6,12/1/2010 8:26,2.55,17850.0,United Kingdom"


def _lines(count: int) -> list[str]:
    return [LINE.format(index=index) for index in range(count)]


def _write(path: Path, text: str, encoding: str) -> Path:
    data = text.encode(encoding)
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(data))
    else:
        path.write_bytes(data)
    return path


def _loaded(warehouse: Path, sql: str) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.mark.parametrize(
    ("encoding", "special", "expected_encoding"),
    [
        # The pound sign is byte 0xA3 in Latin-1; it sits past the sniffed start of the file.
        ("latin-1", "Gift Voucher £40.00", "latin-1"),
        # Curly quotes and the euro sign are bytes 0x80-0x9F: Windows-1252, not Latin-1 control codes.
        ("cp1252", "Bistro \u2019Caf\u00e9\u2019 mug \u20ac5", "cp1252"),
        ("utf-8", "Gift Voucher £40.00", "utf-8"),
        ("utf-8-sig", "Gift Voucher £40.00", "utf-8-sig"),
    ],
)
def test_ingest_detects_the_text_encoding_and_records_it(
    tmp_path: Path, warehouse: Path, encoding: str, special: str, expected_encoding: str
) -> None:
    rows = _lines(2_000)  # ~150 kB: the special byte is far beyond the first 64 kB
    rows.append(f"536999,GIFT_0001_40,{special},1,12/1/2010 9:00,34.04,17850.0,United Kingdom")
    source = _write(tmp_path / "Online Retail.csv.gz", "\n".join([HEADER, *rows]) + "\n", encoding)

    result = ingest_file(source, warehouse)

    assert result.reading.encoding == expected_encoding and result.rows == 2_001 and result.bad_rows == 0
    assert _loaded(warehouse, "select description from raw.transactions where order_id = '536999'") == [(special,)]
    assert _loaded(warehouse, "select encoding from raw.loads") == [(expected_encoding,)]
    assert json.loads(_loaded(warehouse, "select reading_options_json from raw.loads")[0][0])["encoding"] == (
        expected_encoding
    )
    assert result.datetime_format == "%m/%d/%Y %H:%M"


def test_legacy_encoding_prefers_windows_1252_only_when_its_printable_bytes_appear() -> None:
    assert legacy_encoding_of("caf\u00e9 \u00a340".encode("latin-1")) == "latin-1"
    assert legacy_encoding_of("\u2019caf\u00e9\u2019".encode("cp1252")) == "cp1252"
    # 0x81 is undefined in Windows-1252: such a file can only be Latin-1.
    assert legacy_encoding_of(b"\x81\x92") == "latin-1"


def test_ingest_mapped_encoding_is_used_as_given(tmp_path: Path, warehouse: Path) -> None:
    source = _write(
        tmp_path / "shop.csv", "\n".join([HEADER, LINE.format(index=1).replace("HEART", "C\u0152UR")]) + "\n", "cp1252"
    )

    result = ingest_file(source, warehouse, parse_mapping({"encoding": "windows-1252"}, "m.json"))

    assert result.reading.encoding == "cp1252"
    assert _loaded(warehouse, "select description from raw.transactions") == [("WHITE HANGING C\u0152UR",)]


def test_ingest_wrong_mapped_encoding_names_the_byte_and_the_option(tmp_path: Path, warehouse: Path) -> None:
    source = _write(tmp_path / "shop.csv", "\n".join([HEADER, *_lines(3)]) + "\nx,\u00a3\n", "latin-1")

    with pytest.raises(RetailError) as error:
        ingest_file(source, warehouse, parse_mapping({"encoding": "utf-8"}, "m.json"))

    message = str(error.value)
    assert "shop.csv" in message and "not utf-8 encoded" in message
    assert (
        not (tmp_path / "warehouse.duckdb").exists()
        or not _loaded(warehouse, "select count(*) from information_schema.tables where table_name = 'transactions'")[
            0
        ][0]
    )


def test_ingest_european_csv_detects_semicolons_and_decimal_commas(tmp_path: Path, warehouse: Path) -> None:
    rows = [
        "536365;85123A;WHITE HANGING HEART;6;01.12.2010 08:26;2,55;17850;United Kingdom",
        "536366;22633;HAND WARMER;12;01.12.2010 08:28;1.234,50;17850;United Kingdom",
    ]
    source = _write(tmp_path / "export.csv", "\n".join([HEADER.replace(",", ";"), *rows]) + "\n", "utf-8")

    result = ingest_file(source, warehouse)

    assert (result.reading.delimiter, result.reading.decimal_separator, result.bad_rows) == (";", ",", 0)
    assert result.datetime_format == "%d.%m.%Y %H:%M"
    loaded = "select unit_price, decimal_separator from raw.transactions join raw.loads on _load_id = load_id"
    assert _loaded(warehouse, loaded) == [
        ("2,55", ","),
        ("1.234,50", ","),
    ]


def test_ingest_mixed_decimal_marks_ask_for_the_separator(tmp_path: Path, warehouse: Path) -> None:
    rows = [LINE.format(index=1).replace("2.55", '"2,55"'), LINE.format(index=2)]
    source = _write(tmp_path / "mixed.csv", "\n".join([HEADER, *rows]) + "\n", "utf-8")

    with pytest.raises(
        RetailError,
        match=r"mixed.csv: amounts are written both with decimal commas .*2,55.*"
        r"decimal_separator",
    ):
        ingest_file(source, warehouse)


def test_ingest_thousands_commas_with_decimal_points_are_numbers(tmp_path: Path, warehouse: Path) -> None:
    rows = [LINE.format(index=1), LINE.format(index=2).replace("2.55", '"1,204.50"')]
    source = _write(tmp_path / "us.csv", "\n".join([HEADER, *rows]) + "\n", "utf-8")

    result = ingest_file(source, warehouse)

    assert result.reading.decimal_separator == "." and result.bad_rows == 0


def test_ingest_ragged_rows_name_the_first_rows_and_the_expected_count(tmp_path: Path, warehouse: Path) -> None:
    rows = _lines(300)
    rows[150] = rows[150] + ",extra"  # file line 152: 9 fields
    rows[201] = "536999,85123A,WHITE HANGING HEART,6"  # file line 203: 4 fields
    source = _write(tmp_path / "ragged.csv", "\n".join([HEADER, *rows]) + "\n", "utf-8")

    with pytest.raises(RetailError) as error:
        ingest_file(source, warehouse)

    message = str(error.value)
    assert "ragged.csv: rows have different numbers of fields: the header has 8 (delimiter ',')" in message
    assert "line 152 has 9, line 203 has 4" in message
    assert "required field" not in message and "Nothing was loaded" in message


def test_ingest_oversized_field_says_so_and_how_to_proceed(tmp_path: Path, warehouse: Path) -> None:
    rows = _lines(3)
    rows[1] = rows[1].replace("WHITE HANGING HEART", "x" * 3_000_000)
    source = _write(tmp_path / "long.csv", "\n".join([HEADER, *rows]) + "\n", "utf-8")

    with pytest.raises(RetailError) as error:
        ingest_file(source, warehouse)
    loaded = ingest_file(source, warehouse, parse_mapping({"max_line_size": 4_000_000}, "m.json"))

    message = str(error.value)
    assert "long.csv: line" in message and "longer than the 2,097,152-byte line limit" in message
    assert '"max_line_size"' in message
    assert loaded.rows == 3


def test_ingest_order_level_export_without_product_or_order_ids(tmp_path: Path, warehouse: Path) -> None:
    source = _write(tmp_path / "cdnow.csv", "cust,date,amount\n00001,19970101,11.77\n00002,19970112,12.00\n", "utf-8")
    mapping = parse_mapping({"customer_id": "cust", "order_datetime": "date", "order_total": "amount"}, "m.json")

    result = ingest_file(source, warehouse, mapping)

    assert result.bad_rows == 0 and result.datetime_format == "%Y%m%d"
    assert _loaded(warehouse, "select customer_id, order_id, product_id, order_total from raw.transactions") == [
        ("00001", None, None, "11.77"),
        ("00002", None, None, "12.00"),
    ]


def test_ingest_order_fields_on_the_first_line_only_count_as_present(tmp_path: Path, warehouse: Path) -> None:
    header = "Name,Email,Created at,Lineitem quantity,Lineitem price,Lineitem sku"
    rows = [
        "#1001,a@example.com,2023-01-15 10:23:45 -0500,1,10.00,SKU-1",
        "#1001,,,2,5.00,SKU-2",
        "#1002,,,1,3.00,SKU-3",  # no line of #1002 has a date: that row is bad
    ]
    source = _write(tmp_path / "orders_export.csv", "\n".join([header, *rows]) + "\n", "utf-8")
    mapping = parse_mapping({field: column for field, column in SHOPIFY_MAPPING.items() if column in header}, "m")

    result = ingest_file(source, warehouse, mapping, max_bad_share=0.5)

    assert result.datetime_format == "%Y-%m-%d %H:%M:%S %z"
    assert _loaded(warehouse, "select _parse_error from raw.transactions order by _source_row_number") == [
        (None,),
        (None,),
        ("missing order_datetime",),
    ]


def test_duckdb_reason_picks_the_explaining_line() -> None:
    error = duckdb.InvalidInputException(
        "Invalid Input Error: CSV Error on Line: 38250\nOriginal Line: 581,x\n"
        "Invalid unicode (byte sequence mismatch) detected. This file is not utf-8 encoded.\n\n"
        "Possible Solution: Set the correct encoding"
    )

    assert duckdb_reason(error) == (
        "CSV Error on Line: 38250: Invalid unicode (byte sequence mismatch) detected. This file is not utf-8 encoded."
    )
