"""Models: validation metrics beside baselines, calibration, the net-benefit curve, realised performance,
drift, and a form that scores a feature row with the API's own code."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st
from pydantic import ValidationError

from models_py.errors import RetailError
from models_py.serving import dashboard_data
from models_py.serving.api import EXAMPLE_FEATURES, CustomerFeatures
from models_py.serving.dashboard_pages.common import Chart, Context


def calibration_chart(bins: pd.DataFrame) -> Chart:
    diagonal = (
        alt.Chart(pd.DataFrame({"p": [0.0, 1.0]})).mark_line(strokeDash=[4, 4], color="grey").encode(x="p:Q", y="p:Q")
    )
    points = (
        alt.Chart(bins)
        .mark_line(point=True)
        .encode(
            x=alt.X("mean_predicted:Q", title="mean predicted churn probability", scale=alt.Scale(domain=[0, 1])),
            y=alt.Y("observed_rate:Q", title="observed churn rate", scale=alt.Scale(domain=[0, 1])),
            tooltip=[
                "bin",
                alt.Tooltip("mean_predicted:Q", format=".3f"),
                alt.Tooltip("observed_rate:Q", format=".3f"),
            ],
        )
    )
    return diagonal + points


def net_benefit_chart(curve: pd.DataFrame, chosen: float | None) -> Chart:
    line = (
        alt.Chart(curve)
        .mark_line(point=True)
        .encode(
            x=alt.X("threshold:Q", title="contact everyone with churn probability at or above"),
            y=alt.Y("net_benefit:Q", title="realised net benefit on validation"),
            tooltip=["threshold", alt.Tooltip("net_benefit:Q", format=",.0f")],
        )
    )
    marker = alt.Chart(pd.DataFrame({"threshold": [chosen] if chosen is not None else []})).mark_rule(color="red")
    return line + marker.encode(x="threshold:Q")


def _quality(context: Context) -> None:
    with context.cursor() as cursor:
        metrics = dashboard_data.latest_metrics(cursor)
        bins = dashboard_data.calibration(cursor)
        curve, chosen = dashboard_data.net_benefit_curve(cursor)
    st.subheader("Validation metrics, with baselines")
    st.caption("For choosing models. Quote `retail backtest` (scores at a past date against what happened) instead.")
    st.dataframe(metrics, hide_index=True, width="stretch")
    left, right = st.columns(2)
    with left:
        st.subheader("Calibration (chosen churn model)")
        if bins.empty or bins["mean_predicted"].isna().all():
            st.info("This build's churn model logged no calibration bins: retrain to see them.")
        else:
            st.altair_chart(calibration_chart(bins.dropna()), width="stretch")
    with right:
        st.subheader("Net benefit over thresholds")
        if curve.empty:
            st.info("This build's churn model logged no net-benefit curve: retrain to see it.")
        else:
            st.altair_chart(net_benefit_chart(curve, chosen), width="stretch")
            st.caption(f"Red: the best threshold on validation ({chosen}). The build contacts by expected value.")


def _monitoring(context: Context) -> None:
    with context.cursor() as cursor:
        performance = dashboard_data.model_performance(cursor)
        drift = dashboard_data.drift_report(cursor)
    st.subheader("Realised performance of past scoring dates")
    if performance.empty:
        st.info("No scoring date has matured yet (a date needs churn_horizon_days of later data).")
    else:
        st.dataframe(performance, hide_index=True, width="stretch")
    st.subheader("Drift report (latest build)")
    st.dataframe(drift, hide_index=True, width="stretch")


def _form_values() -> dict[str, Any]:
    values: dict[str, Any] = {}
    columns = st.columns(4)
    for index, (name, example) in enumerate(EXAMPLE_FEATURES.items()):
        column = columns[index % 4]
        if isinstance(example, int):
            values[name] = int(column.number_input(name, min_value=0, value=example, step=1, key=f"score_{name}"))
        else:
            values[name] = float(column.number_input(name, value=float(example), key=f"score_{name}"))
    return values


def _score_form(context: Context) -> None:
    st.subheader("Score a feature row")
    st.caption("The same code as the API's POST /predict with features: the models that scored this publication.")
    with st.form("score"):
        values = _form_values()
        submitted = st.form_submit_button("Score")
    if not submitted or context.loaded is None:
        return
    try:
        features = CustomerFeatures.model_validate(values)
        scores = context.live.score(context.loaded, features.model_dump())
    except ValidationError as error:
        st.error("; ".join(f"{'.'.join(map(str, item['loc']))}: {item['msg']}" for item in error.errors()))
        return
    except RetailError as error:
        st.error(str(error))
        return
    st.json(scores)


def render(context: Context) -> None:
    _quality(context)
    _monitoring(context)
    _score_form(context)
