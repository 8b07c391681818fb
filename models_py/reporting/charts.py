"""The strategic report's four charts as standalone SVG: no script, font or network needed to view them.

Each mark carries its numbers twice: a ``<title>`` (the tooltip a reader sees
on hover) and ``data-*`` attributes (what the browser test compares with the
warehouse). Pure functions from the report's query rows to SVG text.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from html import escape
from typing import Any

WIDTH, HEIGHT = 760, 380
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 80, 24, 36, 56
PALETTE = ("#2b6cb0", "#dd6b20", "#2f855a", "#c53030", "#6b46c1", "#b7791f", "#2c7a7b", "#97266d", "#4a5568")
FONT = 'font-family="system-ui, sans-serif"'


@dataclass(frozen=True)
class Scale:
    """Linear map from data to pixels."""

    low: float
    high: float
    start: float
    end: float

    def __call__(self, value: float) -> float:
        span = self.high - self.low or 1.0
        return self.start + (value - self.low) / span * (self.end - self.start)


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high] (1, 2 or 5 times a power of ten apart)."""
    if high <= low:
        high = low + 1.0
    raw = (high - low) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(factor * power for factor in (1, 2, 5, 10) if factor * power >= raw)
    first = math.floor(low / step) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < high:
        ticks.append(round(value, 10))
    return ticks


def _number(value: float) -> str:
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.2f}".rstrip("0").rstrip(".") if value % 1 else f"{value:.0f}"


def _label(x: float, y: float, text: str, anchor: str = "middle", extra: str = "") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{extra}>{escape(text)}</text>'


def _legend(x: float, y: float, entries: Sequence[tuple[str, str]]) -> list[str]:
    """(label, colour) entries stacked from (x, y)."""
    return [
        _label(x, y + 14 * index, label, "start", f' fill="{colour}" font-weight="600"')
        for index, (label, colour) in enumerate(entries)
    ]


def _svg(chart_id: str, title: str, body: list[str]) -> str:
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" id="{chart_id}" class="report-chart" role="img" '
            f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" {FONT} font-size="12">',
            f"<title>{escape(title)}</title>",
            f'<text x="{MARGIN_LEFT}" y="22" font-size="15" font-weight="600">{escape(title)}</text>',
            *body,
            "</svg>",
        ]
    )


def _axes(x: Scale, y: Scale, x_ticks: Sequence[float], y_ticks: Sequence[float], labels: tuple[str, str]) -> list[str]:
    parts = [
        f'<line x1="{x.start}" y1="{y.start}" x2="{x.end}" y2="{y.start}" stroke="#52606d"/>',
        f'<line x1="{x.start}" y1="{y.start}" x2="{x.start}" y2="{y.end}" stroke="#52606d"/>',
    ]
    for tick in x_ticks:
        parts.append(f'<text x="{x(tick):.1f}" y="{y.start + 16}" text-anchor="middle">{_number(tick)}</text>')
    for tick in y_ticks:
        parts.append(
            f'<line x1="{x.start}" y1="{y(tick):.1f}" x2="{x.end}" y2="{y(tick):.1f}" stroke="#e4e7eb"/>'
            f'<text x="{x.start - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{_number(tick)}</text>'
        )
    x_label, y_label = labels
    parts.append(f'<text x="{(x.start + x.end) / 2}" y="{HEIGHT - 12}" text-anchor="middle">{escape(x_label)}</text>')
    parts.append(
        f'<text x="16" y="{(y.start + y.end) / 2}" text-anchor="middle" '
        f'transform="rotate(-90 16 {(y.start + y.end) / 2})">{escape(y_label)}</text>'
    )
    return parts


def _plot_area() -> tuple[float, float, float, float]:
    return MARGIN_LEFT, WIDTH - MARGIN_RIGHT, HEIGHT - MARGIN_BOTTOM, MARGIN_TOP


def value_risk_bubbles(segments: Sequence[dict[str, Any]]) -> str:
    """Segments by mean churn probability (x) and mean predicted LTV (y), area proportional to customers."""
    left, right, bottom, top = _plot_area()
    x_ticks = nice_ticks(0.0, max([1.0, *(s["mean_churn_probability"] for s in segments)]))
    y_ticks = nice_ticks(0.0, max([1.0, *(s["mean_predicted_ltv"] for s in segments)]) * 1.1)
    x, y = Scale(x_ticks[0], x_ticks[-1], left, right), Scale(y_ticks[0], y_ticks[-1], bottom, top)
    largest = max([1, *(s["customers"] for s in segments)])
    body = _axes(x, y, x_ticks, y_ticks, ("mean churn probability", "mean predicted LTV per customer"))
    for index, segment in enumerate(sorted(segments, key=lambda s: -s["customers"])):
        radius = 6 + 34 * math.sqrt(segment["customers"] / largest)
        cx, cy = x(segment["mean_churn_probability"]), y(segment["mean_predicted_ltv"])
        name = str(segment["segment_name"])
        body.append(
            f'<g class="mark" data-segment="{escape(name)}" data-customers="{segment["customers"]}" '
            f'data-churn="{segment["mean_churn_probability"]!r}" data-ltv="{segment["mean_predicted_ltv"]!r}">'
            f"<title>{escape(name)}: {segment['customers']:,} customers, churn "
            f"{segment['mean_churn_probability']:.1%}, predicted LTV {segment['mean_predicted_ltv']:,.0f}</title>"
            f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{radius:.1f}" fill="{PALETTE[index % len(PALETTE)]}" '
            'fill-opacity="0.55" stroke="#1f2933"/>'
            f'<text x="{cx:.1f}" y="{cy - radius - 4:.1f}" text-anchor="middle">{escape(name)}</text></g>'
        )
    return _svg("chart-value-risk", "Segments: value against churn risk (bubble area = customers)", body)


def size_trend(history: Sequence[dict[str, Any]]) -> str:
    """Customers per segment (by id) at every recorded build, one line per segment."""
    left, right, bottom, top = _plot_area()
    dates: list[date] = sorted({row["as_of_date"] for row in history})
    names = {row["segment_id"]: str(row["segment_name"]) for row in history}
    y_ticks = nice_ticks(0.0, max([1, *(row["customers"] for row in history)]) * 1.1)
    x = Scale(0, max(len(dates) - 1, 1), left + 20, right - 20)
    y = Scale(y_ticks[0], y_ticks[-1], bottom, top)
    body = _axes(x, y, [], y_ticks, ("build (as_of_date)", "customers"))
    step = max(1, math.ceil(len(dates) / 8))
    for position, day in enumerate(dates):
        if position % step == 0 or position == len(dates) - 1:
            body.append(_label(x(position), bottom + 16, str(day)))
    colours = {segment_id: PALETTE[index % len(PALETTE)] for index, segment_id in enumerate(sorted(names))}
    for segment_id, colour in colours.items():
        rows = sorted((row for row in history if row["segment_id"] == segment_id), key=lambda row: row["as_of_date"])
        points = [(x(dates.index(row["as_of_date"])), y(row["customers"]), row) for row in rows]
        if len(points) > 1:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py, _ in points)
            body.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        name = escape(names[segment_id])
        for px, py, row in points:
            body.append(
                f'<g class="mark" data-segment="{name}" data-segment-id="{segment_id}" '
                f'data-as-of-date="{row["as_of_date"]}" data-customers="{row["customers"]}">'
                f"<title>{name} at {row['as_of_date']}: {row['customers']:,} customers</title>"
                f'<circle cx="{px:.1f}" cy="{py:.1f}" r="4" fill="{colour}"/></g>'
            )
    body += _legend(right - 150, top + 4, [(names[segment_id], colour) for segment_id, colour in colours.items()])
    return _svg("chart-size-trend", "Segment sizes over builds", body)


ECONOMICS_SERIES = (
    ("contact_cost", "contact cost", "#c53030"),
    ("expected_saved_margin", "expected saved margin", "#2f855a"),
    ("expected_net_benefit", "expected net benefit", "#2b6cb0"),
)


def contact_economics(segments: Sequence[dict[str, Any]]) -> str:
    """Per segment: contact cost, expected saved margin and net benefit, as grouped bars."""
    left, right, bottom, top = _plot_area()
    values = [float(s[key] or 0.0) for s in segments for key, _, _ in ECONOMICS_SERIES]
    y_ticks = nice_ticks(min([0.0, *values]), max([1.0, *values]) * 1.1)
    y = Scale(y_ticks[0], y_ticks[-1], bottom, top)
    x = Scale(0, max(len(segments), 1), left, right)
    body = _axes(x, y, [], y_ticks, ("segment", "currency, over the campaign"))
    group = (right - left) / max(len(segments), 1)
    bar = group * 0.8 / len(ECONOMICS_SERIES)
    for position, segment in enumerate(segments):
        name = str(segment["segment_name"])
        for offset, (key, label, colour) in enumerate(ECONOMICS_SERIES):
            value = float(segment[key] or 0.0)
            x0 = left + position * group + group * 0.1 + offset * bar
            top_y, bottom_y = sorted((y(value), y(0.0)))
            body.append(
                f'<g class="mark" data-segment="{escape(name)}" data-series="{key}" data-value="{value!r}">'
                f"<title>{escape(name)}: {label} {value:,.2f}</title>"
                f'<rect x="{x0:.1f}" y="{top_y:.1f}" width="{bar:.1f}" height="{max(bottom_y - top_y, 0.5):.1f}" '
                f'fill="{colour}"/></g>'
            )
        body.append(_label(left + (position + 0.5) * group, bottom + 16, name))
    body += _legend(right - 170, top + 4, [(label, colour) for _, label, colour in ECONOMICS_SERIES])
    return _svg("chart-economics", "Contact economics per segment", body)


def quality_funnel(raw_rows: int, rules: Sequence[dict[str, Any]]) -> str:
    """Rows left after each cleaning rule, from the source rows down to the kept rows."""
    left, right, bottom, top = _plot_area()
    dropped = [rule for rule in rules if rule["rule_name"] != "kept"]
    steps = [("source rows", raw_rows, 0)]
    remaining = raw_rows
    for rule in dropped:
        remaining -= int(rule["rows_affected"])
        steps.append((f"after {rule['rule_name']}", remaining, int(rule["rows_affected"])))
    x_ticks = nice_ticks(0.0, max(raw_rows, 1))
    x = Scale(x_ticks[0], x_ticks[-1], left + 110, right)
    row_height = (bottom - top) / len(steps)
    body = [
        f'<text x="{x(tick):.1f}" y="{bottom + 16}" text-anchor="middle">{_number(tick)}</text>' for tick in x_ticks
    ]
    for index, (label, rows, removed) in enumerate(steps):
        y0 = top + index * row_height
        body.append(
            f'<g class="mark" data-step="{escape(label)}" data-rows="{rows}" data-removed="{removed}">'
            f"<title>{escape(label)}: {rows:,} rows ({removed:,} removed)</title>"
            f'<rect x="{x(0):.1f}" y="{y0 + 2:.1f}" width="{max(x(rows) - x(0), 0.5):.1f}" '
            f'height="{row_height - 4:.1f}" fill="{"#2f855a" if index == len(steps) - 1 else "#2b6cb0"}"/>'
            f'<text x="{x(0) - 6:.1f}" y="{y0 + row_height / 2 + 4:.1f}" text-anchor="end">{escape(label)}</text>'
            f'<text x="{x(rows) + 4:.1f}" y="{y0 + row_height / 2 + 4:.1f}">{rows:,}</text></g>'
        )
    return _svg("chart-quality-funnel", "Data quality: from source rows to kept rows", body)
