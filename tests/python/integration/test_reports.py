"""What `retail build` writes for people: the strategic report, the dbt docs site, the Evidence project."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from models_py.reporting.evidence import PAGES, export_evidence
from tests.python.conftest import Workspace

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("demo_build")]


def _number(value: object, digits: int = 0) -> str:
    return f"{float(value):,.{digits}f}"  # type: ignore[arg-type]


def test_build_writes_the_strategic_report_from_the_publication(demo_build: Workspace) -> None:
    reports = demo_build.root / "reports"
    text = (reports / "strategic_report.md").read_text()
    html = (reports / "strategic_report.html").read_text()

    segments = demo_build.query(
        "select segment_name, customers, total_predicted_ltv, recommended_action, expected_net_benefit "
        "from reporting.segment_summary",
        published=True,
    )
    totals = demo_build.query(
        "select sum(customers), sum(expected_churn_loss), sum(expected_net_benefit) from reporting.segment_summary",
        published=True,
    )[0]
    rules = demo_build.query("select rule_name, rows_affected from marts.data_quality", published=True)
    publication_id, as_of_date = demo_build.query(
        "select any_value(publication_id), any_value(as_of_date) from reporting.publication", published=True
    )[0]
    assert f"As of **{as_of_date}**" in text and str(publication_id) in text
    assert f"**{_number(totals[0])} customers** in {len(segments)} segments" in text
    assert f"churn is expected to cost {_number(totals[1])} in margin" in text
    assert f"at most\n  **{_number(totals[2])}**" in text
    for name, customers, ltv, action, net in segments:
        row = f"| {name} | {_number(customers)} |"
        assert row in text and f"| {_number(ltv)} |" in text and str(action) in text
        assert f"### {name} (segment" in text and f"<h3>{name} (segment" in html
        assert f"net {_number(net)}." in text or "contacting nobody" in text
    for rule, rows in rules:
        assert f"| {rule} | {_number(rows)} |" in text
    assert "<table>" in html and "<<" not in text and "<%" not in text


def test_docs_site_documents_every_model_source_seed_snapshot_and_column(demo_build: Workspace) -> None:
    result = demo_build.run("docs", check=True)

    target = demo_build.root / "target"
    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())
    documented = {**manifest["nodes"], **manifest["sources"]}
    kinds = {"model", "seed", "snapshot", "source", "analysis"}
    undocumented = [
        unique_id
        for unique_id, node in documented.items()
        if node["resource_type"] in kinds and not node.get("description", "").strip()
    ]
    undocumented_columns = [
        f"{unique_id}.{column}"
        for unique_id, entry in {**catalog["nodes"], **catalog["sources"]}.items()
        for column in entry["columns"]
        if not documented[unique_id]["columns"].get(column.lower(), {}).get("description", "").strip()
    ]
    built = {
        unique_id for unique_id, node in documented.items() if node["resource_type"] in {"model", "seed", "snapshot"}
    }
    assert undocumented == [] and undocumented_columns == []
    # Every built relation is in the catalog, so every column of every table was checked.
    assert built - set(catalog["nodes"]) == set()
    assert "static_index.html" in result.stdout and (target / "static_index.html").stat().st_size > 100_000


def test_evidence_export_points_at_the_publication_and_renders_every_page(
    demo_build: Workspace, tmp_path: Path
) -> None:
    out = tmp_path / "evidence"
    published = demo_build.settings.published_path

    written = export_evidence(published, out)

    connection = (out / "sources" / "retail" / "connection.yaml").read_text()
    filename = connection.split("filename: ", 1)[1].strip()
    assert (out / "sources" / "retail" / filename).resolve() == published.resolve()
    assert not os.path.isabs(filename)
    assert {path.relative_to(out).as_posix() for path in written} >= {
        "package.json",
        "package-lock.json",
        ".npmrc",
        ".gitignore",
        "evidence.plugins.yaml",
        "evidence.config.yaml",
        "pages/index.md",
        *(f"pages/{page.slug}.md" for page in PAGES),
    }
    index = (out / "pages" / "index.md").read_text()
    for page in PAGES:
        assert f"[{page.title}](/{page.slug})" in index
        assert (out / "pages" / f"{page.slug}.md").read_text().startswith(f"---\ntitle: {page.title}\n---")
    for path in written:
        assert "<<" not in path.read_text() and "<%" not in path.read_text(), path
