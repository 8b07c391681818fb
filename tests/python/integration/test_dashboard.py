"""The dashboard's pages (Streamlit AppTest) on a built demo warehouse: they render, their numbers are the
publication's, filters change what is shown, and the work they start runs in the background, one job at a time."""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.ipc
import pytest
from streamlit.testing.v1 import AppTest

from models_py.ml.features import MODEL_FEATURES
from models_py.serving.jobs import JobStatus, latest_job, start_job
from models_py.settings import PUBLISHED_ENV, REPORTS_DIR_ENV, TRACKING_URI_ENV, WAREHOUSE_ENV
from tests.python.conftest import PROJECT_DIR, Workspace, copy_workspace

pytestmark = [pytest.mark.integration]

DASHBOARD = PROJECT_DIR / "models_py" / "serving" / "dashboard.py"
PAGES = ("Overview", "Segments", "Customers", "Movements", "Data", "Models")


def point_at(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    """The dashboard (and the jobs it starts) on this workspace, dbt's files in it."""
    for name in (PUBLISHED_ENV, TRACKING_URI_ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(WAREHOUSE_ENV, str(workspace.warehouse))
    monkeypatch.setenv(REPORTS_DIR_ENV, str(workspace.root / "reports"))
    monkeypatch.setenv("DBT_TARGET_PATH", str(workspace.root / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(workspace.root / "logs"))


def open_page(name: str) -> AppTest:
    app = AppTest.from_file(str(DASHBOARD), default_timeout=180)
    app.query_params["page"] = name
    return app.run()


@pytest.fixture
def on_demo(demo_build: Workspace, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    point_at(demo_build, monkeypatch)
    return demo_build


@pytest.fixture
def writable(demo_build: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """A copy of the demo build for tests that ingest, build or save vars."""
    workspace = copy_workspace(demo_build, tmp_path / "copy")
    point_at(workspace, monkeypatch)
    return workspace


def metrics(app: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in app.metric}


def _charts(app: AppTest) -> list[Any]:
    return list(app.get("vega_lite_chart"))


def _labelled(controls: Any, label: str, *, prefix: bool = False) -> Any:
    """The widget with this label (or label start)."""
    for control in controls:
        if control.label == label or (prefix and control.label.startswith(label)):
            return control
    raise AssertionError(f"no widget {label!r} among {[control.label for control in controls]}")


def _button(app: AppTest, label: str) -> Any:
    matches = [button for button in (*app.button, *app.get("form_submit_button")) if button.label == label]
    assert matches, f"no button {label!r}; buttons: {[button.label for button in app.button]}"
    return matches[0]


def _wait_for_job(workspace: Workspace, timeout: float = 600) -> JobStatus:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = latest_job(workspace.warehouse)
        if job is not None and job.finished:
            return job
        time.sleep(0.5)
    raise AssertionError(f"the dashboard's job did not finish in {timeout} s")


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_with_a_chart_and_no_exception(on_demo: Workspace, page: str) -> None:
    app = open_page(page)

    assert not app.exception, [exception.value for exception in app.exception]
    assert not app.error, [error.value for error in app.error]
    assert app.main.title[0].value == page
    assert _charts(app), f"{page} shows no chart"


def test_overview_kpis_are_the_publications(on_demo: Workspace) -> None:
    scores = on_demo.frame("select * from reporting.customer_scores", published=True)
    incentive = float(
        on_demo.frame("select retention_incentive_cost from reporting.retention_parameters", published=True).iloc[0, 0]
    )

    shown = metrics(open_page("Overview"))

    contacted = scores[scores["is_contact_recommended"]]
    saved = contacted["expected_saved_margin"].sum()
    cost = len(contacted) * incentive
    assert shown["Customers"] == f"{len(scores):,}"
    assert shown["Revenue to date"] == f"{scores['monetary'].astype(float).sum():,.0f}"
    assert shown["Predicted LTV, next 90 days"] == f"{scores['predicted_ltv'].sum():,.0f}"
    assert shown["Expected churn loss (margin)"] == f"{scores['expected_churn_loss'].sum():,.0f}"
    assert shown["Recommended for contact"] == f"{len(contacted):,}"
    assert shown["Campaign cost"] == f"{cost:,.0f}"
    assert shown["Expected saved margin"] == f"{saved:,.0f}"
    assert shown["Expected ROI"] == f"{(saved - cost) / cost:.0%}"


def test_segments_table_and_filter_follow_the_segment_summary(on_demo: Workspace) -> None:
    summary = on_demo.frame("select segment_id, segment_name, customers from reporting.segment_summary", published=True)
    app = open_page("Segments")
    table = app.dataframe[0].value
    assert sorted(table["segment_name"]) == sorted(summary["segment_name"])
    assert (
        table.set_index("segment_id")["customers"].to_dict() == summary.set_index("segment_id")["customers"].to_dict()
    )

    kept = sorted(summary["segment_id"])[:2]
    app.multiselect[0].set_value(kept).run()

    assert sorted(app.dataframe[0].value["segment_id"]) == kept
    histogram = app.get("vega_lite_chart")[1]
    shown_names = {row["segment_name"] for row in _chart_rows(histogram)}
    assert shown_names == set(summary[summary["segment_id"].isin(kept)]["segment_name"])


def test_every_distribution_draws_the_publications_values(on_demo: Workspace) -> None:
    from models_py.serving.dashboard_data import DISTRIBUTION_FEATURES, DISTRIBUTION_INPUTS

    app = open_page("Segments")
    for feature in DISTRIBUTION_FEATURES:
        table = "marts.customer_features" if feature in DISTRIBUTION_INPUTS else "reporting.customer_scores"
        expected = on_demo.frame(
            f"select count({feature}) as n, sum({feature}) as total from {table}", published=True
        ).iloc[0]
        _labelled(app.selectbox, "Feature").set_value(feature).run()

        assert not app.exception, (feature, [exception.value for exception in app.exception])
        values = [row["value"] for row in _chart_rows(app.get("vega_lite_chart")[1])]
        assert len(values) == expected["n"], feature
        assert sum(values) == pytest.approx(float(expected["total"]), rel=1e-9), feature


def _chart_rows(chart: Any) -> list[dict[str, Any]]:
    """The data rows a rendered Altair chart was sent (Arrow datasets beside its spec)."""
    frames = [pyarrow.ipc.open_stream(dataset.data.data).read_pandas() for dataset in chart.proto.datasets]
    return [row for frame in frames for row in frame.to_dict("records")]


def test_comparing_algorithms_then_use_this_setting_saves_vars_a_reset_removes(writable: Workspace) -> None:
    app = open_page("Segments")
    _labelled(app.multiselect, "Algorithms").set_value(["kmeans", "dbscan"])
    _labelled(app.slider, "k (clusters)").set_value(4)
    _button(app, "Compare").click().run()

    results = app.dataframe[-1].value
    assert list(results["algorithm"]) == ["kmeans", "dbscan"]
    assert results["silhouette"].notna().iloc[0] and results["davies_bouldin"].notna().iloc[0]
    _button(app, "Use this setting").click().run()

    saved = writable.warehouse.parent / "build_vars.yml"
    assert "segment_k_min: 4" in saved.read_text() and "segmentation_algorithm: kmeans" in saved.read_text()
    _button(app, "Reset to the project defaults").click().run()
    assert not saved.exists()


def test_customer_search_shows_the_stored_scores_and_the_at_risk_filter_counts(on_demo: Workspace) -> None:
    scores = on_demo.frame("select * from reporting.customer_scores order by expected_churn_loss desc", published=True)
    customer = scores.iloc[0]
    app = open_page("Customers")
    app.text_input[0].input(str(customer["customer_id"])).run()

    shown = metrics(app)
    assert shown["Churn probability"] == f"{customer['churn_probability']:.1%}"
    assert shown["ML segment"] == customer["segment_name"]
    assert any(str(customer["churn_reason_1"]) in block.value for block in app.markdown)

    risk = _labelled(app.multiselect, "Risk tier")
    risk.set_value(["low"]).run()
    listed = app.dataframe[-1].value
    assert len(listed) == int((scores["risk_tier"] == "low").sum())
    assert set(listed["risk_tier"]) == {"low"}
    _labelled(app.number_input, "Minimum expected loss").set_value(50.0).run()
    expected = scores[(scores["risk_tier"] == "low") & (scores["expected_churn_loss"] >= 50)]
    assert list(app.dataframe[-1].value["customer_id"]) == list(expected["customer_id"])


def test_movements_show_the_size_history_dates(on_demo: Workspace) -> None:
    history = on_demo.frame(
        "select count(distinct as_of_date) as dates from reporting.segment_size_history", published=True
    )
    dates = history.iloc[0, 0]

    app = open_page("Movements")

    assert any(block.value.startswith(f"{dates} dates") for block in app.markdown)


def test_the_score_form_gives_a_stored_customers_scores(on_demo: Workspace) -> None:
    features = ", ".join(f"features.{name}" for name in MODEL_FEATURES)
    row = on_demo.frame(
        f"select scores.churn_probability, scores.predicted_ltv, {features} "
        "from reporting.customer_scores as scores join marts.customer_features as features using (customer_id) "
        "where features.frequency > 1 order by customer_id limit 1",
        published=True,
    ).iloc[0]
    app = open_page("Models")
    for control in app.number_input:
        name = control.key.removeprefix("score_") if control.key else ""
        if name in MODEL_FEATURES:
            value = row[name]
            control.set_value(int(value) if isinstance(control.value, int) else float(value))
    _button(app, "Score").click().run()

    result = app.json[0].value
    scored = json.loads(result) if isinstance(result, str) else result
    assert scored["churn_probability"] == pytest.approx(row["churn_probability"], abs=1e-6)
    assert scored["predicted_ltv"] == pytest.approx(row["predicted_ltv"], rel=1e-6)


EXPORT_HEADER = "Kunde;Beleg;Zeitpunkt;Artikel;Menge;Einzelpreis\n"


def _export(workspace: Workspace) -> bytes:
    """New orders of known customers in a German shop's export, dated after everything loaded."""
    last = workspace.frame("select max(order_date) from marts.fct_orders", published=True).iloc[0, 0]
    customers = workspace.frame(
        "select customer_id from marts.dim_customers order by customer_id limit 5", published=True
    )
    day = (pd.Timestamp(last) + pd.Timedelta(days=2)).strftime("%d.%m.%Y")
    lines = [
        f"{customer};N{index};{day} 10:{index:02d};85123A;{index + 1};2,55"
        for index, customer in enumerate(customers["customer_id"])
    ]
    return (EXPORT_HEADER + "\n".join(lines) + "\n").encode("cp1252")


def test_upload_map_preview_ingest_and_build_from_the_data_page(writable: Workspace) -> None:
    loads_before = len(writable.frame("select * from raw.loads", published=True))
    app = open_page("Data")
    app.file_uploader[0].set_value(("kasse export.csv", _export(writable), "text/csv")).run()
    assert any("required field(s) not mapped" in error.value for error in app.error)
    assert _button(app, "Ingest and build").disabled  # nothing can be written until the mapping is complete

    for field, column in {
        "customer_id": "Kunde",
        "order_id": "Beleg",
        "order_datetime": "Zeitpunkt",
        "product_id": "Artikel",
        "quantity": "Menge",
        "unit_price": "Einzelpreis",
    }.items():
        app.selectbox(key=f"map_{field}").set_value(column)
    _labelled(app.radio, "Load as").set_value("append as a new batch").run()
    assert not app.error, [error.value for error in app.error]
    preview = app.dataframe[0].value
    assert list(preview["unit_price"]) == [2.55] * 5 and preview["order_datetime"].notna().all()
    _button(app, "Ingest and build").click().run()

    job = _wait_for_job(writable)
    assert job.state == "succeeded", job.log_tail
    loads = writable.frame("select * from raw.loads order by load_id", published=True)
    assert len(loads) == loads_before + 1 and loads["source_file"].iloc[-1].endswith("-kasse_export.csv")
    orders = writable.frame("select count(*) from marts.fct_orders where order_id like 'N%'", published=True).iloc[0, 0]
    assert orders == 5
    assert str(writable.warehouse.parent / "uploads") in loads["source_file"].iloc[-1]
    # The same session, run again, follows the new publication: its load list has the new load.
    app.run()
    shown = next(frame.value for frame in app.dataframe if "load_id" in frame.value.columns)
    assert len(shown) == len(loads)


def test_a_broken_upload_shows_the_error_and_writes_nothing(writable: Workspace) -> None:
    app = open_page("Data")
    app.file_uploader[0].set_value(("orders.csv", b"a;b\n1;2;3;4\n5\n", "text/csv")).run()

    assert app.error, "a broken file shows an error"
    assert latest_job(writable.warehouse) is None
    assert writable.frame("select count(*) from raw.loads", published=True).iloc[0, 0] == 1


def test_a_second_build_request_is_refused_while_a_job_runs(writable: Workspace) -> None:
    import sys

    running = start_job(writable.warehouse, "retail build", [[sys.executable, "-c", "import time; time.sleep(20)"]])
    app = open_page("Overview")

    _button(app, "Build now").click().run()

    assert any(f"retail build is running since {running.started_at:%H:%M}" in error.value for error in app.error)
    assert latest_job(writable.warehouse).directory == running.directory  # type: ignore[union-attr]


def test_a_failed_build_names_the_node_and_the_previous_publication_stays(writable: Workspace) -> None:
    customers = writable.frame("select count(*) from reporting.customer_scores", published=True).iloc[0, 0]
    broken = ["retail", "build", "--select", "customer_features", "--vars", "{as_of_date: '2011-13-45'}"]
    start_job(writable.warehouse, "retail build", [broken])
    job = _wait_for_job(writable)

    app = open_page("Overview")

    assert job.state == "failed"
    failure = " ".join(error.value for error in app.sidebar.error)
    assert "retail build failed" in failure and "Compilation Error in model previous_scores" in failure
    assert "time data '2011-13-45' does not match format" in failure
    assert metrics(app)["Customers"] == f"{customers:,}"


def test_the_streaming_simulation_runs_from_the_page_and_its_charts_grow(writable: Workspace) -> None:
    app = open_page("Movements")
    start, end = [control for control in app.date_input]
    start.set_value(date(2011, 12, 2))
    end.set_value(date(2011, 12, 9))
    _labelled(app.number_input, "Full refit", prefix=True).set_value(1)
    _button(app, "Start the simulation").click().run()

    job = _wait_for_job(writable)
    assert job.state == "succeeded", job.log_tail
    # The history before the start, then one batch per week up to the end: 12-02 to 12-08, and 12-09.
    assert job.progress.done == job.progress.total == 3
    app = open_page("Movements")
    assert any(block.value.startswith("3 dates") for block in app.markdown)
    moves = next(frame.value for frame in app.dataframe if "from_segment_name" in frame.value.columns)
    assert moves["customers"].sum() > 0
    assert len(_charts(app)) >= 2  # the build's size history and the simulation's


def test_an_upload_whose_dates_read_two_ways_names_the_other_format(writable: Workspace) -> None:
    app = open_page("Data")
    day = (
        b"InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
        b"581587,22138,BAKING SET,3,01/12/2011 09:00,4.95,12680,France\n"
    )
    app.file_uploader[0].set_value(("day.csv", day, "text/csv")).run()

    assert any("dates %m/%d/%Y %H:%M" in message.value for message in app.success)
    assert any("The dates also read as %d/%m/%Y %H:%M" in warning.value for warning in app.warning)
