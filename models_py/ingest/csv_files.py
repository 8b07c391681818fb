"""Reading CSV exports as they come: text encoding, delimiter, header, and errors a person can act on.

DuckDB reads the file (fast, parallel); this module decides how. The encoding
is UTF-8 unless the file says otherwise (a BOM) or DuckDB finds a byte that is
not UTF-8, in which case the file is scanned once: bytes 0x80-0x9F are printable
characters in Windows-1252 (curly quotes, the euro sign) and control codes in
Latin-1, so their presence picks Windows-1252. Files that are not UTF-8 are
transcoded to a temporary UTF-8 copy. The delimiter is the candidate that
splits the first lines into the same number of fields, more than one.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, cast

from models_py.errors import RetailError

DELIMITER_CANDIDATES = (",", ";", "\t", "|")
DEFAULT_MAX_LINE_SIZE = 2_097_152  # DuckDB's default
_SNIFF_BYTES = 1 << 16
_SNIFF_LINES = 50
_CHUNK = 1 << 20
# Undefined in Windows-1252: a file holding them is Latin-1 with C1 control codes.
_CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")
_EXAMPLE_ROWS = 5


@dataclass(frozen=True)
class CsvDialect:
    """How one CSV file is read: its text encoding, delimiter and header."""

    encoding: str
    delimiter: str
    header: tuple[str, ...]


def open_binary(path: Path) -> BinaryIO:
    """The file's bytes, decompressed when it is gzipped."""
    if path.suffix.lower() == ".gz":
        return cast(BinaryIO, gzip.open(path, "rb"))
    return path.open("rb")


def _head(path: Path) -> bytes:
    with open_binary(path) as handle:
        try:
            return handle.read(_SNIFF_BYTES)
        except (OSError, EOFError) as error:
            raise RetailError(f"{path}: cannot be read as gzip ({error})") from None


def encoding_from_head(head: bytes) -> str | None:
    """The encoding the start of a file shows (a BOM, or bytes that are not UTF-8); None when it looks like UTF-8."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        # final=False: a multi-byte character cut by the sample's end is not an error.
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return legacy_encoding_of(head)
    return None


def legacy_encoding_of(data: bytes) -> str:
    """Windows-1252 or Latin-1 for 8-bit text that is not UTF-8 (see the module docstring)."""
    c1 = {byte for byte in data if 0x80 <= byte <= 0x9F}
    if c1 and not c1 & _CP1252_UNDEFINED:
        return "cp1252"
    return "latin-1"


def scan_legacy_encoding(path: Path) -> str:
    """``legacy_encoding_of`` over the whole file (the telling bytes may sit anywhere)."""
    c1: set[int] = set()
    with open_binary(path) as handle:
        for block in iter(lambda: handle.read(_CHUNK), b""):
            c1.update(byte for byte in block.translate(None, bytes(range(0x80)) + bytes(range(0xA0, 0x100))))
    return legacy_encoding_of(bytes(sorted(c1)))


def sniff_dialect(path: Path, encoding: str | None, delimiter: str | None) -> CsvDialect:
    """Encoding (given, else from the file's start), delimiter (given, else sniffed) and header of ``path``."""
    head = _head(path)
    if not head.strip():
        raise RetailError(f"{path}: file is empty")
    encoding = encoding or encoding_from_head(head) or "utf-8"
    text = head.decode(encoding, errors="replace")
    # The sample may end mid-line: drop the partial last line unless it is the whole file.
    lines = text.splitlines()
    if len(head) == _SNIFF_BYTES and len(lines) > 1:
        lines = lines[:-1]
    lines = [line for line in lines if line.strip()][:_SNIFF_LINES]
    delimiter = delimiter or _sniff_delimiter(lines)
    header_row = next(csv.reader(lines[:1], delimiter=delimiter), [])
    return CsvDialect(encoding, delimiter, _unique_names(header_row))


def _sniff_delimiter(lines: list[str]) -> str:
    """The candidate splitting the header into most fields, preferring one every sampled line agrees with."""

    def widths(candidate: str) -> list[int]:
        return [len(row) for row in csv.reader(lines, delimiter=candidate)]

    scored = []
    for candidate in DELIMITER_CANDIDATES:
        counts = widths(candidate)
        if counts and counts[0] > 1:
            consistent = sum(count == counts[0] for count in counts) / len(counts)
            scored.append((consistent, counts[0], candidate))
    if not scored:
        return ","
    return max(scored)[2]


def _unique_names(row: list[str]) -> tuple[str, ...]:
    """Header names as DuckDB would need them: blank ones named by position, repeats numbered."""
    names: list[str] = []
    seen: set[str] = set()
    for index, raw in enumerate(row, start=1):
        name = raw.strip().lstrip("\ufeff") or f"column{index}"
        candidate, suffix = name, 1
        while candidate in seen:
            candidate, suffix = f"{name}_{suffix}", suffix + 1
        seen.add(candidate)
        names.append(candidate)
    return tuple(names)


@contextmanager
def utf8_copy(path: Path, encoding: str, workdir: Path) -> Iterator[Path]:
    """``path`` itself when it is UTF-8, else a temporary UTF-8 copy (removed on exit)."""
    if encoding in ("utf-8", "utf-8-sig"):
        yield path
        return
    workdir.mkdir(parents=True, exist_ok=True)
    target = workdir / f".{path.name}.utf8.csv"
    try:
        with (
            open_binary(path) as source,
            io.TextIOWrapper(source, encoding=encoding, newline="") as text,
            target.open("w", encoding="utf-8", newline="") as out,
        ):
            shutil.copyfileobj(text, out, _CHUNK)
    except UnicodeDecodeError as error:
        target.unlink(missing_ok=True)
        raise RetailError(
            f"{path}: is not valid {encoding} text ({error.reason} at byte {error.start}); "
            'set "encoding" in the mapping (utf-8, utf-8-sig, latin-1, cp1252 or utf-16)'
        ) from None
    try:
        yield target
    finally:
        target.unlink(missing_ok=True)


def ragged_rows(path: Path, dialect: CsvDialect, limit: int = _EXAMPLE_ROWS) -> list[tuple[int, int]]:
    """(line number, field count) of the first rows whose field count differs from the header's."""
    found: list[tuple[int, int]] = []
    with open_binary(path) as source, io.TextIOWrapper(source, encoding=dialect.encoding, newline="") as text:
        reader = csv.reader(text, delimiter=dialect.delimiter)
        next(reader, None)
        for row in reader:
            if row and len(row) != len(dialect.header):
                found.append((reader.line_num, len(row)))
                if len(found) >= limit:
                    break
    return found


_REASON_PATTERNS = (
    r"not utf-8 encoded",
    r"Expected Number of Columns",
    r"[Mm]aximum line size",
    r"[Uu]nterminated quote",
    r"Could not convert",
    r"It was not possible",
)


def duckdb_reason(error: Exception) -> str:
    """The line of a (many-line) DuckDB error that says what is wrong, with the error's first line."""
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    if not lines:
        return type(error).__name__
    first = re.sub(r"^[A-Za-z ]+Error: ", "", lines[0])
    for pattern in _REASON_PATTERNS:
        for line in lines[1:]:
            if re.search(pattern, line) and not line.startswith(("*", "Possible")):
                return f"{first}: {line}"
    return first


def line_number(error: Exception) -> int | None:
    """The 'CSV Error on Line: N' of a DuckDB error, when it gives one."""
    match = re.search(r"Line: (\d+)", str(error))
    return int(match.group(1)) if match else None
