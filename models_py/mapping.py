"""Column mapping: which source column feeds which canonical field.

Online Retail I and II headers are recognised without a mapping; any other shop
export needs a JSON or YAML mapping ``{canonical_field: source_column}``. Source
column names are validated against the file's real header here and reach SQL
only through :func:`quote_identifier`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from models_py.errors import RetailError

KEY_FIELDS = ("customer_id", "order_id", "order_datetime", "product_id")
LINE_AMOUNT_FIELDS = ("quantity", "unit_price")
TOTAL_AMOUNT_FIELD = "order_total"
OPTIONAL_FIELDS = ("description", "country")
CANONICAL_FIELDS = (*KEY_FIELDS, *LINE_AMOUNT_FIELDS, TOTAL_AMOUNT_FIELD, *OPTIONAL_FIELDS)
OPTION_KEYS = ("datetime_format",)

# Header spellings of the UCI Online Retail I and II files (and of our own
# canonical names), compared after lower-casing and dropping non-alphanumerics.
_KNOWN_HEADERS: dict[str, tuple[str, ...]] = {
    "customer_id": ("customerid",),
    "order_id": ("invoiceno", "invoice", "orderid"),
    "order_datetime": ("invoicedate", "orderdatetime"),
    "product_id": ("stockcode", "productid"),
    "quantity": ("quantity",),
    "unit_price": ("unitprice", "price"),
    "order_total": ("ordertotal",),
    "description": ("description",),
    "country": ("country",),
}


def _normalise_header(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.lower())


def quote_identifier(name: str) -> str:
    """Quote a column name for DuckDB so any text is a literal identifier."""
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class ColumnMapping:
    """Canonical field -> source column, plus parsing options."""

    columns: MappingProxyType[str, str] = field(default_factory=lambda: MappingProxyType({}))
    datetime_format: str | None = None

    @property
    def uses_order_total(self) -> bool:
        return TOTAL_AMOUNT_FIELD in self.columns and not all(name in self.columns for name in LINE_AMOUNT_FIELDS)


def parse_mapping(raw: Any, source: str) -> ColumnMapping:
    """Validate a mapping object (from JSON/YAML) without looking at any data file."""
    if not isinstance(raw, dict):
        raise RetailError(
            f"{source}: a mapping must be an object of canonical field -> source column, got {type(raw).__name__}"
        )
    unknown = sorted(set(raw) - set(CANONICAL_FIELDS) - set(OPTION_KEYS))
    if unknown:
        raise RetailError(
            f"{source}: unknown key(s) {', '.join(map(repr, unknown))}; "
            f"allowed: {', '.join(CANONICAL_FIELDS + OPTION_KEYS)}"
        )
    columns: dict[str, str] = {}
    for key, value in raw.items():
        if not isinstance(value, str) or not value.strip():
            raise RetailError(f"{source}: {key!r} must name a column as a non-empty string")
        if key in CANONICAL_FIELDS:
            columns[key] = value
    datetime_format = raw.get("datetime_format")
    return ColumnMapping(MappingProxyType(columns), datetime_format)


def load_mapping(path: Path) -> ColumnMapping:
    """Read a JSON (``.json``) or YAML (``.yml``/``.yaml``) mapping file."""
    if not path.is_file():
        raise RetailError(f"mapping file {path} does not exist")
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() == ".json":
            raw = json.loads(text)
        elif path.suffix.lower() in (".yml", ".yaml"):
            raw = yaml.safe_load(text)
        else:
            raise RetailError(f"mapping file {path}: use a .json, .yml or .yaml file")
    except (json.JSONDecodeError, yaml.YAMLError) as error:
        first_line = str(error).splitlines()[0]
        raise RetailError(f"mapping file {path} is not valid: {first_line}") from None
    return parse_mapping(raw, str(path))


def resolve_mapping(header: Sequence[str], mapping: ColumnMapping | None, source: str) -> ColumnMapping:
    """Check a mapping against the file's header, or detect one from known headers.

    Raises :class:`RetailError` naming the missing column or unmapped field and
    listing the file's columns.
    """
    available = ", ".join(repr(name) for name in header)
    if mapping is None:
        mapping = _detect(header)
    else:
        for canonical, column in mapping.columns.items():
            if column not in header:
                raise RetailError(
                    f"{source}: mapping names column {column!r} for {canonical}, but the file "
                    f"has no such column; its columns are: {available}"
                )
    missing = [name for name in KEY_FIELDS if name not in mapping.columns]
    has_lines = all(name in mapping.columns for name in LINE_AMOUNT_FIELDS)
    if not has_lines and TOTAL_AMOUNT_FIELD not in mapping.columns:
        missing.append("quantity + unit_price (or order_total)")
    if missing:
        raise RetailError(
            f"{source}: required field(s) not mapped: {', '.join(missing)}. The file's "
            f"columns are: {available}. Pass --mapping with a JSON/YAML file such as "
            '{"customer_id": "...", "order_id": "...", "order_datetime": "...", '
            '"product_id": "...", "quantity": "...", "unit_price": "..."}'
        )
    return mapping


def _detect(header: Sequence[str]) -> ColumnMapping:
    by_normalised: dict[str, str] = {}
    for name in header:
        by_normalised.setdefault(_normalise_header(name), name)
    columns: dict[str, str] = {}
    for canonical, spellings in _KNOWN_HEADERS.items():
        for candidate in (_normalise_header(canonical), *spellings):
            if candidate in by_normalised:
                columns[canonical] = by_normalised[candidate]
                break
    return ColumnMapping(MappingProxyType(columns))
