"""The strategic report: segments, their economics and actions, data quality and drift.

Rendered after each published build from the published warehouse, as Markdown
and HTML. Every number in it comes from one of the queries below; the
templates only format and arrange them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import markdown

from models_py.errors import RetailError
from models_py.publish import one_row, open_published, read_publication, records
from models_py.reporting import charts
from models_py.reporting.render import render

MARKDOWN_NAME = "strategic_report.md"
HTML_NAME = "strategic_report.html"

SEGMENTS_SQL = """
with

history as (
    select segment_id, customers, as_of_date
    from reporting.segment_size_history
),

current_build as (
    select max(as_of_date) as as_of_date from reporting.segment_summary
),

previous_build as (
    select max(history.as_of_date) as as_of_date
    from history
    inner join current_build on history.as_of_date < current_build.as_of_date
),

first_build as (
    select min(as_of_date) as as_of_date from history
),

previous_sizes as (
    select history.segment_id, history.customers, history.as_of_date
    from history
    inner join previous_build on history.as_of_date = previous_build.as_of_date
),

first_sizes as (
    select history.segment_id, history.customers, history.as_of_date
    from history
    inner join first_build on history.as_of_date = first_build.as_of_date
)

select
    summary.segment_id,
    summary.segment_name,
    summary.customers,
    summary.customer_share,
    summary.revenue_share,
    summary.mean_monetary,
    summary.mean_recency_days,
    summary.mean_frequency,
    summary.mean_churn_probability,
    summary.mean_predicted_ltv,
    summary.total_predicted_ltv,
    summary.value_tier,
    summary.risk_tier,
    summary.recommended_action,
    summary.contact_recommended_customers,
    summary.expected_churn_loss,
    summary.contact_cost,
    summary.expected_saved_margin,
    summary.expected_net_benefit,
    summary.expected_roi,
    summary.as_of_date,
    previous_sizes.customers as previous_customers,
    previous_sizes.as_of_date as previous_as_of_date,
    first_sizes.customers as first_customers,
    first_sizes.as_of_date as first_as_of_date
from reporting.segment_summary as summary
left join previous_sizes on summary.segment_id = previous_sizes.segment_id
left join first_sizes on summary.segment_id = first_sizes.segment_id
order by summary.total_predicted_ltv desc, summary.segment_id
"""

RFM_SQL = """
select
    scores.rfm_segment,
    count(*) as customers,
    count(*) / sum(count(*)) over () as customer_share,
    avg(scores.recency_days) as mean_recency_days,
    avg(scores.frequency) as mean_frequency,
    sum(scores.predicted_ltv) as total_predicted_ltv,
    count(case when scores.is_contact_recommended then 1 end) as contact_recommended_customers,
    count(case when scores.is_lapsed then 1 end) as lapsed_customers,
    any_value(segments.description) as description
from reporting.customer_scores as scores
left join raw.rfm_segments as segments on scores.rfm_segment = segments.rfm_segment
group by scores.rfm_segment
order by total_predicted_ltv desc, scores.rfm_segment
"""

TOTALS_SQL = """
select
    sum(customers) as customers,
    sum(total_predicted_ltv) as total_predicted_ltv,
    sum(contact_recommended_customers) as contact_recommended_customers,
    sum(expected_churn_loss) as expected_churn_loss,
    sum(contact_cost) as contact_cost,
    sum(expected_saved_margin) as expected_saved_margin,
    sum(expected_net_benefit) as expected_net_benefit,
    sum(expected_net_benefit) / nullif(sum(contact_cost), 0) as expected_roi,
    count(distinct as_of_date) as as_of_dates
from reporting.segment_summary
"""

PARAMETERS_SQL = """
select
    high_value_quantile,
    high_value_ltv,
    high_risk_probability,
    retention_incentive_cost,
    gross_margin,
    save_rate,
    campaign_budget,
    retention_probability_floor,
    ltv_horizon_days,
    lapsed_after_days,
    as_of_date
from reporting.retention_parameters
"""

DATA_QUALITY_SQL = """
select
    rule_name,
    rows_affected,
    rows_matching,
    amount_affected,
    share_of_raw_rows,
    is_dropped,
    why_dropped,
    cost_of_keeping
from marts.data_quality
order by rule_order
"""

RAW_ROWS_SQL = "select sum(rows_affected) as raw_rows from marts.data_quality"

# Sizes at every recorded build, by segment id (stable across refits), named as the segment is called now;
# an id no longer in use keeps its last name, marked as former.
SIZE_HISTORY_SQL = """
with

last_names as (
    select segment_id, arg_max(segment_name, as_of_date) as segment_name
    from reporting.segment_size_history
    group by segment_id
)

select
    history.as_of_date,
    history.segment_id,
    coalesce(summary.segment_name, 'former ' || last_names.segment_name) as segment_name,
    history.customers
from reporting.segment_size_history as history
inner join last_names on history.segment_id = last_names.segment_id
left join reporting.segment_summary as summary on history.segment_id = summary.segment_id
order by history.as_of_date, history.segment_id
"""

DRIFT_SQL = """
select check_name, feature, statistic, status, value, warn_threshold, error_threshold
from reporting.drift_report
where as_of_date = (select max(as_of_date) from reporting.drift_report)
order by
    case status when 'error' then 0 when 'warn' then 1 when 'ok' then 2 else 3 end,
    check_name
"""

# The first customers of the contact list (or, when nobody is worth contacting, the largest expected losses).
EXAMPLES_SQL = """
select
    customer_id,
    segment_name,
    rfm_segment,
    churn_probability,
    value_at_risk,
    expected_value_of_contact,
    is_contact_recommended,
    recommended_action,
    churn_reason_1,
    churn_reason_2,
    churn_reason_3,
    probability_alive,
    next_order_expected_on
from reporting.customer_scores
order by contact_priority nulls last, expected_churn_loss desc, customer_id
limit 10
"""

MODELS_SQL = """
select
    model_family,
    model_name,
    metric,
    value
from ml.model_metrics
where split = 'validation'
    and metric in ('roc_auc', 'pr_auc', 'brier', 'mae', 'spearman', 'top_decile_capture')
order by model_family, model_name, metric
"""


@dataclass(frozen=True)
class StrategicReport:
    markdown_path: Path
    html_path: Path
    chart_paths: tuple[Path, ...]


CHARTS_DIR = "charts"


def report_charts(context: dict[str, Any]) -> dict[str, str]:
    """File name -> SVG of each chart, from the same query rows as the report's tables."""
    return {
        "value_vs_risk.svg": charts.value_risk_bubbles(context["segments"]),
        "segment_size_trend.svg": charts.size_trend(context["size_history"]),
        "contact_economics.svg": charts.contact_economics(context["segments"]),
        "data_quality_funnel.svg": charts.quality_funnel(context["raw_rows"], context["data_quality"]),
    }


def inline_charts(html: str, svgs: dict[str, str]) -> str:
    """The HTML with each Markdown image of a chart replaced by the chart itself, so the file needs nothing else."""
    for name, svg in svgs.items():
        pattern = re.compile(rf'(?:<p>)?<img alt="([^"]*)" src="{CHARTS_DIR}/{re.escape(name)}"\s*/?>(?:</p>)?')
        # A replacement string would treat backslashes in the SVG as escapes: a function returns it verbatim.
        figure = f'<figure class="chart">{svg}</figure>'
        html, replaced = pattern.subn(lambda _, figure=figure: figure, html)  # type: ignore[misc]
        if replaced != 1:
            raise RetailError(f"the report template must show {CHARTS_DIR}/{name} exactly once, found {replaced}")
    return html


def _size_trend(segment: dict[str, Any]) -> str:
    previous = segment["previous_customers"]
    if previous is None:
        recorded_before = segment["first_as_of_date"] not in (None, segment["as_of_date"])
        return "new segment" if recorded_before else "first build"
    change = (segment["customers"] - previous) / previous
    if abs(change) < 0.02:
        return "stable"
    return f"{'growing' if change > 0 else 'shrinking'} ({change * 100:+.1f}%)"


_STATUS_ORDER = ("error", "warn", "ok")


def _drift_summary(checks: list[dict[str, Any]]) -> dict[str, int]:
    """Checks per status, worst first (then informational ones, e.g. KS, alphabetically)."""
    counts: dict[str, int] = {}
    for check in checks:
        counts[check["status"]] = counts.get(check["status"], 0) + 1
    rank = {status: index for index, status in enumerate(_STATUS_ORDER)}
    return dict(sorted(counts.items(), key=lambda item: (rank.get(item[0], len(rank)), item[0])))


def _models(rows: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, float]]]:
    """family -> model -> metric -> value."""
    models: dict[str, dict[str, dict[str, float]]] = {}
    for row in rows:
        models.setdefault(row["model_family"], {}).setdefault(row["model_name"], {})[row["metric"]] = row["value"]
    return models


def report_context(con: duckdb.DuckDBPyConnection, published_path: Path) -> dict[str, Any]:
    """Everything the report shows, queried from a published warehouse."""
    segments = records(con, SEGMENTS_SQL)
    for segment in segments:
        segment["size_trend"] = _size_trend(segment)
    drift = records(con, DRIFT_SQL)
    return {
        "publication": read_publication(con, published_path),
        "segments": segments,
        "rfm_segments": records(con, RFM_SQL),
        "totals": records(con, TOTALS_SQL)[0],
        "parameters": one_row(records(con, PARAMETERS_SQL), published_path, "reporting.retention_parameters"),
        "data_quality": records(con, DATA_QUALITY_SQL),
        "raw_rows": records(con, RAW_ROWS_SQL)[0]["raw_rows"],
        "drift": drift,
        "drift_counts": _drift_summary(drift),
        "models": _models(records(con, MODELS_SQL)),
        "examples": records(con, EXAMPLES_SQL),
        "size_history": records(con, SIZE_HISTORY_SQL),
    }


def write_strategic_report(published_path: Path, reports_dir: Path) -> StrategicReport:
    """Render the report from the publication at ``published_path`` into ``reports_dir``."""
    with open_published(published_path) as con:
        context = report_context(con, published_path)
    svgs = report_charts(context)
    text = render("strategic_report.md.j2", charts_dir=CHARTS_DIR, **context)
    body = inline_charts(markdown.markdown(text, extensions=["tables"]), svgs)
    html = render("strategic_report.html.j2", body=body, publication=context["publication"])
    (reports_dir / CHARTS_DIR).mkdir(parents=True, exist_ok=True)
    chart_paths = tuple(reports_dir / CHARTS_DIR / name for name in svgs)
    for path, svg in zip(chart_paths, svgs.values(), strict=True):
        path.write_text(svg)
    markdown_path, html_path = reports_dir / MARKDOWN_NAME, reports_dir / HTML_NAME
    markdown_path.write_text(text)
    html_path.write_text(html)
    return StrategicReport(markdown_path, html_path, chart_paths)
