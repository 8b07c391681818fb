"""bench/scale.py's repeated runs: medians, ranges and the representative run, by hand arithmetic."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

from tests.python.conftest import PROJECT_DIR


def _scale() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_scale", PROJECT_DIR / "bench" / "scale.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_scale"] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def test_repeated_runs_report_each_steps_median_range_and_highest_peak() -> None:
    scale = _scale()

    def run(ingest: float, build: float, day: float, peak: int, slowest: str) -> object:
        steps = [
            scale.Step("ingest", ingest, 100, peak),
            scale.Step("full build (trains)", build, 100, 2 * peak),
            scale.Step("append one day: build", day, 1, peak),
        ]
        return scale.SizeResult(size=1, rows=100, customers=10, steps=steps, slowest=[(slowest, build)])

    runs = [run(1.5, 14.0, 7.0, 3, "a"), run(1.6, 12.1, 9.0, 5, "b"), run(1.5, 12.9, 8.0, 4, "c")]

    result = scale.combined(runs)

    assert [(step.name, step.seconds) for step in result.steps] == [
        ("ingest", 1.5),
        ("full build (trains)", 12.9),
        ("append one day: build", 8.0),
    ]
    assert result.step("full build (trains)").peak_bytes == 10 and result.step("ingest").peak_bytes == 5
    assert result.ranges == {
        "ingest": (1.5, 1.6),
        "full build (trains)": (12.1, 14.0),
        "append one day: build": (7.0, 9.0),
    }
    # Node timings come from the run whose ingest + full build (15.5, 13.7, 14.4) is the median.
    assert result.slowest == [("c", 12.9)] and result.repeats == 3
    assert scale.combined(runs[:1]) is runs[0]
