"""Export an Evidence project that reads the published warehouse.

The project is rendered from ``templates/evidence``: files ending in ``.j2``
go through jinja2 (the pages and the connection), the rest is copied as is
(the npm pin set, source queries, plugin files). Evidence 39.1.13 is pinned
because it installs and builds offline; ``evidence.config.yaml`` declares the
same plugins for Evidence 40.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from models_py.errors import RetailError
from models_py.reporting.render import render

SOURCE_NAME = "retail"
_TEMPLATE_ROOT = "evidence"
# Stored without the leading dot so that they are plain files in the package.
_RENAMED = {"gitignore": ".gitignore", "npmrc": ".npmrc"}


@dataclass(frozen=True)
class Page:
    slug: str
    title: str
    summary: str


PAGES = (
    Page("segments", "Segments", "sizes, revenue share, profiles and actions"),
    Page("churn", "Churn risk", "the risk distribution and the valuable customers at risk"),
    Page("ltv", "Lifetime value", "predicted value by segment and its concentration"),
    Page("movements", "Segment movements", "size history and transitions"),
    Page("drift", "Drift", "feature, prediction and performance drift checks"),
    Page("models", "Models", "out-of-time validation metrics of the models and their baselines"),
)


def _walk(folder: Traversable, prefix: str = "") -> list[tuple[str, Traversable]]:
    found = []
    for item in sorted(folder.iterdir(), key=lambda entry: entry.name):
        relative = f"{prefix}{item.name}"
        if item.is_dir():
            found += _walk(item, f"{relative}/")
        else:
            found.append((relative, item))
    return found


def export_evidence(published_path: Path, out: Path) -> list[Path]:
    """Write the Evidence project into ``out``; returns the files written.

    The DuckDB source points at ``published_path`` by a path relative to the
    source folder (Evidence joins it onto that folder). Files already in
    ``out`` that the export does not write (node_modules, build output) stay.
    """
    published_path = Path(published_path).resolve()
    if not published_path.exists():
        raise RetailError(f"no published warehouse at {published_path}: run `retail build` (or `retail publish`) first")
    out = Path(out).resolve()
    if out.exists() and not out.is_dir():
        raise RetailError(f"--out {out} is a file; give a folder for the Evidence project")
    source_folder = out / "sources" / SOURCE_NAME
    context = {
        "database_path": os.path.relpath(published_path, source_folder),
        "published_path": published_path,
        "pages": PAGES,
    }
    pages = {f"pages/{page.slug}.md.j2": page for page in PAGES}
    written = []
    for relative, item in _walk(files("models_py.reporting").joinpath("templates", _TEMPLATE_ROOT)):
        name = relative.rsplit("/", 1)[-1]
        target = out / relative.removesuffix(name) / _RENAMED.get(name, name)
        if name.endswith(".j2"):
            text = render(f"{_TEMPLATE_ROOT}/{relative}", page=pages.get(relative), **context)
            target = target.with_name(target.name.removesuffix(".j2"))
        else:
            text = item.read_text()
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        written.append(target)
    return written
