"""The report charts from hand-made rows: every mark carries its row's numbers, odd histories still draw."""

from __future__ import annotations

import re
from datetime import date

from models_py.reporting import charts


def _marks(svg: str) -> list[dict[str, str]]:
    return [
        dict(re.findall(r'data-([a-z-]+)="([^"]*)"', attributes))
        for attributes in re.findall(r'<g class="mark" ([^>]*)>', svg)
    ]


def test_size_trend_keeps_segments_apart_by_id_even_with_the_same_name() -> None:
    history = [
        {"as_of_date": date(2011, 1, 1), "segment_id": 1, "segment_name": "loyal", "customers": 10},
        {"as_of_date": date(2011, 1, 1), "segment_id": 2, "segment_name": "loyal", "customers": 20},
        {"as_of_date": date(2011, 2, 1), "segment_id": 1, "segment_name": "loyal", "customers": 12},
    ]

    marks = _marks(charts.size_trend(history))

    assert sorted((m["segment-id"], m["as-of-date"], m["customers"]) for m in marks) == [
        ("1", "2011-01-01", "10"),
        ("1", "2011-02-01", "12"),
        ("2", "2011-01-01", "20"),
    ]


def test_funnel_steps_subtract_each_rule_from_the_source_rows() -> None:
    rules = [
        {"rule_name": "missing_customer_id", "rows_affected": 30},
        {"rule_name": "cancellation", "rows_affected": 5},
        {"rule_name": "kept", "rows_affected": 65},
    ]

    marks = _marks(charts.quality_funnel(100, rules))

    assert [(m["step"], int(m["rows"]), int(m["removed"])) for m in marks] == [
        ("source rows", 100, 0),
        ("after missing_customer_id", 70, 30),
        ("after cancellation", 65, 5),
    ]


def test_nice_ticks_cover_the_range_with_round_steps() -> None:
    assert charts.nice_ticks(0, 0.83) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert charts.nice_ticks(0, 5300) == [0, 2000, 4000, 6000]  # 5300 / 5 = 1060: the next round step is 2000
    assert charts.nice_ticks(-120, 480)[0] <= -120 and charts.nice_ticks(-120, 480)[-1] >= 480
