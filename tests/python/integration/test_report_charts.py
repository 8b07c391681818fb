"""The strategic report's charts: present in the HTML opened from disk, drawn by a browser, numbers = queries."""

from __future__ import annotations

import re
from html import unescape

import pytest

from tests.python.browser import render
from tests.python.conftest import TEST_ARTIFACTS, Workspace

pytestmark = [pytest.mark.integration]

CHARTS = ("chart-value-risk", "chart-size-trend", "chart-economics", "chart-quality-funnel")


def _marks(dom: str, chart_id: str) -> list[dict[str, str]]:
    """The data-* attributes of each mark of one chart, as the browser's DOM has them."""
    start = dom.index(f'id="{chart_id}"')
    chart = dom[start : dom.index("</svg>", start)]
    return [
        {key: unescape(value) for key, value in re.findall(r'data-([a-z-]+)="([^"]*)"', attributes)}
        for attributes in re.findall(r'<g class="mark" ([^>]*)>', chart)
    ]


def test_report_html_shows_the_four_charts_offline_with_the_warehouses_numbers(demo_build: Workspace) -> None:
    reports = demo_build.root / "reports"
    html_path = reports / "strategic_report.html"
    html = html_path.read_text()
    markdown = (reports / "strategic_report.md").read_text()
    screenshot = TEST_ARTIFACTS / "strategic-report.png"

    dom = render(html_path.resolve().as_uri(), screenshot, reports, purpose="the strategic report test")

    # Nothing to fetch: no script, stylesheet or image from anywhere, the charts are in the file.
    assert not re.search(r'(src|href)="(https?:)?//', html) and "<script" not in html
    assert all(f'id="{chart}"' in dom for chart in CHARTS)
    assert screenshot.stat().st_size > 30_000
    # The Markdown report shows the same pictures, written beside it.
    for name in ("value_vs_risk", "segment_size_trend", "contact_economics", "data_quality_funnel"):
        assert f"](charts/{name}.svg)" in markdown and (reports / "charts" / f"{name}.svg").stat().st_size > 500

    summary = demo_build.query(
        "select segment_name, customers, mean_churn_probability, mean_predicted_ltv, contact_cost, "
        "expected_saved_margin, expected_net_benefit from reporting.segment_summary",
        published=True,
    )
    bubbles = {mark["segment"]: mark for mark in _marks(dom, "chart-value-risk")}
    economics = {(mark["segment"], mark["series"]): float(mark["value"]) for mark in _marks(dom, "chart-economics")}
    assert len(bubbles) == len(summary) and len(economics) == 3 * len(summary)
    for name, customers, churn, ltv, cost, saved, net in summary:
        assert int(bubbles[name]["customers"]) == customers
        assert float(bubbles[name]["churn"]) == pytest.approx(churn)
        assert float(bubbles[name]["ltv"]) == pytest.approx(ltv)
        assert economics[name, "contact_cost"] == pytest.approx(cost)
        assert economics[name, "expected_saved_margin"] == pytest.approx(saved)
        assert economics[name, "expected_net_benefit"] == pytest.approx(net)

    history = demo_build.query(
        "select cast(as_of_date as varchar), segment_id, customers from reporting.segment_size_history",
        published=True,
    )
    points = {
        (int(mark["segment-id"]), mark["as-of-date"]): int(mark["customers"])
        for mark in _marks(dom, "chart-size-trend")
    }
    assert points == {(segment_id, day): customers for day, segment_id, customers in history}

    rules = demo_build.query(
        "select rule_name, rows_affected from marts.data_quality order by rule_order", published=True
    )
    raw_rows = sum(rows for _, rows in rules)
    steps = _marks(dom, "chart-quality-funnel")
    remaining, expected = raw_rows, [("source rows", raw_rows)]
    for rule, rows in rules:
        if rule != "kept":
            remaining -= rows
            expected.append((f"after {rule}", remaining))
    assert [(step["step"], int(step["rows"])) for step in steps] == expected
    assert expected[-1][1] == dict(rules)["kept"]  # the funnel ends at the kept rows
