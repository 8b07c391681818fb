"""Column mapping: which source column feeds which canonical field, and how to read the file.

Online Retail I and II headers are recognised without a mapping; any other shop
export needs a JSON or YAML mapping ``{canonical_field: source_column}`` plus,
where detection cannot tell, reading options (encoding, delimiter, decimal
separator, date format, cancellation marking). Source column names are
validated against the file's real header here and reach SQL only through
:func:`quote_identifier`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from models_py.errors import RetailError

REQUIRED_FIELDS = ("customer_id", "order_datetime")
# Optional keys: without product_id the product features are null; without
# order_id every row is its own order.
KEY_FIELDS = (*REQUIRED_FIELDS, "order_id", "product_id")
LINE_AMOUNT_FIELDS = ("quantity", "unit_price")
TOTAL_AMOUNT_FIELD = "order_total"
# Cancellation marking beyond Online Retail's C invoices: a timestamp (Shopify's
# "Cancelled at") or a flag column; an order-level refunded amount.
CANCELLATION_FIELDS = ("cancelled_at", "is_cancelled", "refunded_amount")
OPTIONAL_FIELDS = ("description", "country", *CANCELLATION_FIELDS)
CANONICAL_FIELDS = (*KEY_FIELDS, *LINE_AMOUNT_FIELDS, TOTAL_AMOUNT_FIELD, *OPTIONAL_FIELDS)
# Numbers parsed with the load's decimal separator.
NUMERIC_FIELDS = (*LINE_AMOUNT_FIELDS, TOTAL_AMOUNT_FIELD, "refunded_amount")
OPTION_KEYS = ("datetime_format", "encoding", "delimiter", "decimal_separator", "max_line_size", "cancellation_prefix")
ENCODINGS = ("utf-8", "utf-8-sig", "latin-1", "cp1252", "utf-16")
DELIMITERS = (",", ";", "\t", "|")
DECIMAL_SEPARATORS = (".", ",")
# Online Retail marks a cancellation by a C in front of the invoice number.
DEFAULT_CANCELLATION_PREFIX = "C"

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
    "cancelled_at": ("cancelledat",),
    "is_cancelled": ("iscancelled",),
    "refunded_amount": ("refundedamount",),
}


def _normalise_header(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.lower())


def quote_identifier(name: str) -> str:
    """Quote a column name for DuckDB so any text is a literal identifier."""
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class ColumnMapping:
    """Canonical field -> source column, plus reading options (None: detect from the file)."""

    columns: MappingProxyType[str, str] = field(default_factory=lambda: MappingProxyType({}))
    datetime_format: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    decimal_separator: str | None = None
    max_line_size: int | None = None
    cancellation_prefix: str | None = None

    @property
    def uses_order_total(self) -> bool:
        return TOTAL_AMOUNT_FIELD in self.columns and not all(name in self.columns for name in LINE_AMOUNT_FIELDS)

    @property
    def effective_cancellation_prefix(self) -> str:
        """The order-id prefix marking cancellations; none by default once a cancellation column is mapped."""
        if self.cancellation_prefix is not None:
            return self.cancellation_prefix
        marked = any(name in self.columns for name in ("cancelled_at", "is_cancelled"))
        return "" if marked else DEFAULT_CANCELLATION_PREFIX

    def options(self) -> dict[str, object]:
        """The reading options that are set, for the load record."""
        return {name: getattr(self, name) for name in OPTION_KEYS if getattr(self, name) is not None}


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
        if key in CANONICAL_FIELDS:
            if not isinstance(value, str) or not value.strip():
                raise RetailError(f"{source}: {key!r} must name a column as a non-empty string")
            columns[key] = value
    return ColumnMapping(MappingProxyType(columns), **_parse_options(raw, source))


_ALIASES = {
    "utf8": "utf-8",
    "utf-8-bom": "utf-8-sig",
    "latin1": "latin-1",
    "iso-8859-1": "latin-1",
    "windows-1252": "cp1252",
    "tab": "\t",
    "\\t": "\t",
}


def _choice(raw: dict[str, Any], key: str, allowed: Sequence[str], source: str) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    text = str(value).lower() if key == "encoding" else str(value)
    text = _ALIASES.get(text, text)
    if text not in allowed:
        shown = ", ".join(repr(name) for name in allowed)
        raise RetailError(f"{source}: {key} must be one of {shown}, got {value!r}")
    return text


def _parse_options(raw: dict[str, Any], source: str) -> dict[str, Any]:
    datetime_format = raw.get("datetime_format")
    if datetime_format is not None and (not isinstance(datetime_format, str) or not datetime_format.strip()):
        raise RetailError(f'{source}: datetime_format must be strptime codes as a string, e.g. "%d/%m/%Y %H:%M"')
    max_line_size = raw.get("max_line_size")
    if max_line_size is not None and (
        isinstance(max_line_size, bool) or not isinstance(max_line_size, int) or max_line_size < 1024
    ):
        raise RetailError(f"{source}: max_line_size must be a number of bytes (at least 1024), got {max_line_size!r}")
    prefix = raw.get("cancellation_prefix")
    if prefix is not None and not isinstance(prefix, str):
        raise RetailError(f'{source}: cancellation_prefix must be a string ("" for none), got {prefix!r}')
    return {
        "datetime_format": datetime_format,
        "encoding": _choice(raw, "encoding", ENCODINGS, source),
        "delimiter": _choice(raw, "delimiter", DELIMITERS, source),
        "decimal_separator": _choice(raw, "decimal_separator", DECIMAL_SEPARATORS, source),
        "max_line_size": max_line_size,
        "cancellation_prefix": prefix,
    }


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
    if mapping is None or not mapping.columns:
        # No columns named (or only reading options): recognise the header.
        mapping = with_columns(mapping or ColumnMapping(), dict(_detect(header).columns))
    else:
        for canonical, column in mapping.columns.items():
            if column not in header:
                raise RetailError(
                    f"{source}: mapping names column {column!r} for {canonical}, but the file "
                    f"has no such column; its columns are: {available}"
                )
    missing = [name for name in REQUIRED_FIELDS if name not in mapping.columns]
    has_lines = all(name in mapping.columns for name in LINE_AMOUNT_FIELDS)
    if not has_lines and TOTAL_AMOUNT_FIELD not in mapping.columns:
        missing.append("quantity + unit_price (or order_total)")
    if missing:
        raise RetailError(
            f"{source}: required field(s) not mapped: {', '.join(missing)}. The file's "
            f"columns are: {available}. Pass --mapping with a JSON/YAML file such as "
            '{"customer_id": "...", "order_id": "...", "order_datetime": "...", '
            '"product_id": "...", "quantity": "...", "unit_price": "..."} '
            "(order_id and product_id are optional; order_total may replace quantity and unit_price)"
        )
    return mapping


def proposed_columns(header: Sequence[str]) -> dict[str, str]:
    """Canonical field -> column for the header's columns that a known export names (Online Retail I/II,
    canonical names, common spellings): the starting point of a mapping."""
    return dict(_detect(header).columns)


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


def with_columns(mapping: ColumnMapping, columns: dict[str, str]) -> ColumnMapping:
    """The mapping's options with other columns (a detected mapping keeps the user's reading options)."""
    return replace(mapping, columns=MappingProxyType(columns))
