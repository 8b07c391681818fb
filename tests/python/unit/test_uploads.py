"""Uploads stay in their folder under a size limit; the preview shows the parse and every error, writing nothing."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from models_py.errors import RetailError
from models_py.ingest.loading import preview_file
from models_py.ingest.mapping import load_mapping, parse_mapping
from models_py.serving.uploads import safe_name, save_mapping, save_upload

EUROPEAN = (
    "Kunde;Rechnung;Datum;Artikel;Menge;Preis\n"
    "K-1;R1;01.12.2010 08:26;A;6;2,55\n"
    "K-1;R1;01.12.2010 08:26;B;2;1.234,50\n"
    "K-2;R2;02.12.2010 09:00;A;1;3,00\n"
)
MAPPING = {
    "customer_id": "Kunde",
    "order_id": "Rechnung",
    "order_datetime": "Datum",
    "product_id": "Artikel",
    "quantity": "Menge",
    "unit_price": "Preis",
}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd.csv", "passwd.csv"),
        ("orders 2024'; drop table raw.loads; --.csv", "orders_2024_drop_table_raw.loads_--.csv"),
        ("..\\..\\x.parquet", "x.parquet"),
        (".hidden.csv", "hidden.csv"),
    ],
)
def test_file_names_lose_paths_and_every_character_but_letters_digits_dot_dash(name: str, expected: str) -> None:
    assert safe_name(name) == expected


def test_an_upload_is_stored_under_the_uploads_folder_only(tmp_path: Path) -> None:
    uploads = tmp_path / "warehouse" / "uploads"

    stored = save_upload("../../outside.csv", b"a,b\n1,2\n", uploads, limit_mb=1)

    assert stored.parent == uploads and stored.name.endswith("-outside.csv")
    assert stored.read_bytes() == b"a,b\n1,2\n"
    assert list(tmp_path.rglob("*.csv")) == [stored]


def test_an_upload_over_the_limit_or_of_an_unknown_format_writes_nothing(tmp_path: Path) -> None:
    uploads = tmp_path / "uploads"
    with pytest.raises(RetailError, match=r"big\.csv: 1\.0 MB is over the upload limit of 0 MB"):
        save_upload("big.csv", b"x" * 1024 * 1024, uploads, limit_mb=0)
    with pytest.raises(RetailError, match=r"unknown file format \.exe"):
        save_upload("orders.exe", b"MZ", uploads, limit_mb=1)
    assert not uploads.exists()


def test_the_preview_proposes_nothing_for_unknown_headers_and_names_the_missing_fields(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(EUROPEAN, encoding="utf-8")

    preview = preview_file(path)

    assert preview.header == ["Kunde", "Rechnung", "Datum", "Artikel", "Menge", "Preis"]
    assert preview.proposed == {}
    assert len(preview.errors) == 1 and "required field(s) not mapped: customer_id, order_datetime" in preview.errors[0]
    assert preview.head is None


def test_the_preview_shows_rows_as_they_would_be_parsed(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(EUROPEAN, encoding="utf-8")

    preview = preview_file(path, parse_mapping(MAPPING, "test"))

    assert preview.errors == []
    assert preview.reading is not None
    assert (preview.reading.delimiter, preview.reading.decimal_separator) == (";", ",")
    assert preview.reading.datetime_format == "%d.%m.%Y %H:%M"
    assert (preview.rows, preview.bad_rows) == (3, 0)
    head = preview.head
    assert head is not None
    assert list(head["customer_id"]) == ["K-1", "K-1", "K-2"]
    assert list(head["unit_price"]) == [2.55, 1234.5, 3.0]
    assert list(head["quantity"]) == [6.0, 2.0, 1.0]
    assert head["order_datetime"].iloc[0] == datetime(2010, 12, 1, 8, 26)


def test_the_preview_lists_too_many_bad_rows_with_examples(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(EUROPEAN + "K-3;R3;gestern;A;1;3,00\n", encoding="utf-8")

    preview = preview_file(path, parse_mapping(MAPPING, "test"))

    assert preview.bad_rows == 1
    assert len(preview.errors) == 1 and "row 4: unparseable order_datetime" in preview.errors[0]
    assert preview.bad_examples is not None and list(preview.bad_examples["source_row"]) == [4]


def test_the_mapping_saved_beside_an_upload_is_what_ingest_reads(tmp_path: Path) -> None:
    upload = tmp_path / "20240101-export.csv"
    upload.write_text(EUROPEAN)
    mapping = parse_mapping({**MAPPING, "decimal_separator": ",", "datetime_format": "%d.%m.%Y %H:%M"}, "test")

    saved = save_mapping(upload, mapping)

    assert saved.name == "20240101-export.csv.mapping.json"
    assert json.loads(saved.read_text())["order_datetime"] == "Datum"
    assert load_mapping(saved) == mapping
