"""Files people upload in the dashboard: kept under ``uploads/`` beside the warehouse, nowhere else.

The stored name is made from the uploaded one (letters, digits, ``.-_`` only, after
a timestamp), so a name like ``../../etc/x`` or one with quotes can neither leave the
folder nor reach a command line or SQL as anything but a plain path argument.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

from models_py.errors import RetailError
from models_py.ingest.loading import detect_format
from models_py.ingest.mapping import ColumnMapping

UPLOAD_TYPES = ("csv", "gz", "tsv", "xlsx", "xls", "parquet")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def uploads_dir(warehouse_path: Path) -> Path:
    return warehouse_path.parent / "uploads"


def safe_name(name: str) -> str:
    """The uploaded file's base name with anything but letters, digits and ``.-_`` replaced."""
    base = Path(name.replace("\\", "/")).name
    cleaned = _UNSAFE.sub("_", base).lstrip(".")
    if not cleaned:
        raise RetailError(f"{name!r} is not a usable file name")
    return cleaned


def save_upload(name: str, data: bytes, directory: Path, limit_mb: int) -> Path:
    """Store an uploaded file under ``directory``; refuse one over the size limit or of an unknown format."""
    if len(data) > limit_mb * 1024 * 1024:
        raise RetailError(
            f"{name}: {len(data) / 1024 / 1024:.1f} MB is over the upload limit of {limit_mb} MB "
            "(RETAIL_UPLOAD_LIMIT_MB); load larger files with `retail ingest`"
        )
    if not data:
        raise RetailError(f"{name}: the file is empty")
    target = directory / f"{datetime.now():%Y%m%d-%H%M%S}-{safe_name(name)}"
    detect_format(target)  # an unknown extension is refused before anything is written
    directory.mkdir(parents=True, exist_ok=True)
    if target.resolve().parent != directory.resolve():
        raise RetailError(f"{name!r} is not a usable file name")
    target.write_bytes(data)
    return target


def save_mapping(upload: Path, mapping: ColumnMapping) -> Path:
    """The mapping chosen in the editor, as the JSON file `retail ingest --mapping` reads, beside the upload."""
    path = upload.with_name(upload.name + ".mapping.json")
    path.write_text(json.dumps({**mapping.columns, **mapping.options()}, indent=2, sort_keys=True))
    return path
