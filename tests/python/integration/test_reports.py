"""What `retail build` writes for people: the strategic report, the dbt docs site, the Evidence project."""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from models_py.reporting.evidence import PAGES, export_evidence
from tests.python.conftest import Workspace, copy_workspace

pytestmark = [pytest.mark.integration]


def _number(value: object, digits: int = 0) -> str:
    return f"{float(value):,.{digits}f}"  # type: ignore[arg-type]


def _segment_economics(workspace: Workspace) -> pd.DataFrame:
    """Each segment's size, LTV and contact economics recomputed in pandas from the published customers'
    churn probability and predicted LTV and the build's parameters, from the documented formulas."""
    con = duckdb.connect(str(workspace.settings.published_path), read_only=True)
    try:
        scores = con.execute(
            "select segment_name, churn_probability, predicted_ltv, is_contact_recommended "
            "from reporting.customer_scores"
        ).df()
        incentive, margin, save_rate, floor, budget = con.execute(
            "select retention_incentive_cost, gross_margin, save_rate, retention_probability_floor, campaign_budget "
            "from reporting.retention_parameters"
        ).fetchall()[0]
    finally:
        con.close()
    assert budget is None  # the default: everybody worth contacting is contacted
    probability = scores["churn_probability"]
    value_at_risk = scores["predicted_ltv"] / np.maximum(1 - probability, floor)
    scores["loss"] = probability * value_at_risk * margin
    saved = probability * save_rate * value_at_risk * margin
    assert (scores["is_contact_recommended"] == (saved - incentive > 0)).all()
    scores["saved"] = saved.where(scores["is_contact_recommended"], 0.0)
    economics = scores.groupby("segment_name").agg(
        customers=("loss", "size"),
        total_predicted_ltv=("predicted_ltv", "sum"),
        contacted=("is_contact_recommended", "sum"),
        loss=("loss", "sum"),
        saved=("saved", "sum"),
    )
    economics["cost"] = economics["contacted"] * incentive
    economics["net"] = economics["saved"] - economics["cost"]
    return economics


def _section(text: str, heading: str) -> str:
    """The report's section under ``heading`` up to the next heading, on one line."""
    start = text.index(heading)
    ends = [index for marker in ("\n### ", "\n## ") if (index := text.find(marker, start + 1)) >= 0]
    end = min(ends, default=len(text))
    return " ".join(text[start:end].split())


def test_build_writes_the_strategic_report_from_the_publication(demo_build: Workspace) -> None:
    reports = demo_build.root / "reports"
    text = (reports / "strategic_report.md").read_text()
    html = (reports / "strategic_report.html").read_text()
    economics = _segment_economics(demo_build)
    summary = demo_build.query(
        "select segment_name, segment_id, customers, total_predicted_ltv, contact_recommended_customers, "
        "contact_cost, expected_saved_margin, expected_churn_loss, expected_net_benefit, expected_roi, "
        "recommended_action from reporting.segment_summary",
        published=True,
    )
    rules = demo_build.query("select rule_name, rows_affected from marts.data_quality", published=True)
    publication_id, as_of_date = demo_build.query(
        "select any_value(publication_id), any_value(as_of_date) from reporting.publication", published=True
    )[0]
    table_rows = {
        cells[0]: cells
        for line in text.splitlines()
        if line.startswith("| ") and len(cells := [cell.strip() for cell in line.strip("|").split("|")]) == 9
    }

    assert f"As of **{as_of_date}**" in text and str(publication_id) in text
    assert f"**{_number(economics['customers'].sum())} customers** in {len(economics)} segments" in text
    assert f"churn is expected to cost {_number(economics['loss'].sum())} in margin" in text
    totals = economics.sum()
    assert f"contacting the {_number(totals['contacted'])} customers worth it" in " ".join(text.split())
    assert f"an expected net benefit of **{_number(totals['net'])}**" in " ".join(text.split())
    assert "upper bound" not in text and "at most" not in text
    assert sorted(row[0] for row in summary) == sorted(economics.index)
    assert 0 < totals["contacted"] < totals["customers"]
    for name, segment_id, customers, ltv, contacted, cost, saved, loss, net, roi, action in summary:
        expected = economics.loc[name]
        # segment_summary holds the same economics as pandas computes from the customers...
        assert (customers, contacted) == (expected["customers"], expected["contacted"])
        assert [ltv, cost, saved, loss, net] == pytest.approx(
            [expected["total_predicted_ltv"], expected["cost"], expected["saved"], expected["loss"], expected["net"]]
        )
        # ...and the report shows them in this segment's own row and section.
        row = table_rows[name]
        assert (row[1], row[5], row[8]) == (_number(customers), _number(ltv), action)
        section = _section(text, f"### {name} (segment {segment_id})")
        if contacted:
            assert roi == pytest.approx(expected["net"] / expected["cost"])
            assert (
                f"Contacting the {_number(contacted)} customers worth it costs {_number(cost)} "
                f"and is expected to save {_number(saved)} of the {_number(loss)} expected churn loss: "
                f"net {_number(net)} (ROI {roi * 100:.0f}%)."
            ) in section
        else:
            assert "Contacting nobody here" in section and f"(expected churn loss {_number(loss)})" in section
        assert f"<h3>{name} (segment {segment_id})" in html
    for rule, rows in rules:
        assert f"| {rule} | {_number(rows)} |" in text
    # The RFM table: each named segment's customers, contacts and lapsed customers, counted here.
    rfm = demo_build.query(
        "select rfm_segment, count(*), count(case when is_contact_recommended then 1 end), "
        "count(case when is_lapsed then 1 end) from reporting.customer_scores group by 1",
        published=True,
    )
    for segment, customers, contacted, lapsed in rfm:
        cells = table_rows[str(segment)]  # RFM names are capitalised, ML segment names are not
        assert (cells[1], cells[6], cells[7]) == (_number(customers), _number(contacted), _number(lapsed))
    assert "<table>" in html and "<<" not in text and "<%" not in text


def test_docs_site_documents_every_model_source_seed_snapshot_and_column(demo_build: Workspace, tmp_path: Path) -> None:
    workspace = copy_workspace(demo_build, tmp_path / "copy")  # dbt docs opens the warehouse for writing
    result = workspace.run("docs", check=True)

    target = workspace.root / "target"
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
