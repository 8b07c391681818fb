"""Segments: sizes and profiles, feature distributions, the 2-D map, and a comparison of algorithms."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from models_py.ml.config import SEGMENT_SCALINGS
from models_py.saved_vars import read_saved_vars, reset_vars, save_vars, saved_vars_path
from models_py.serving import dashboard_data, segment_lab
from models_py.serving.dashboard_pages.common import Chart, Context, start

CHART_KINDS = ("Histogram", "Box plot", "ECDF")
MAP_POINTS = 5_000  # the browser draws every point: more than this are sampled


def _segment_filter(summary: pd.DataFrame) -> list[int]:
    labels = {
        int(segment_id): f"{segment_id}: {name}"
        for segment_id, name in zip(summary["segment_id"], summary["segment_name"], strict=True)
    }
    chosen = st.multiselect(
        "Segments", list(labels), default=list(labels), format_func=lambda segment_id: labels[segment_id]
    )
    return [int(segment_id) for segment_id in chosen]


def _summary(summary: pd.DataFrame) -> None:
    sizes = (
        alt.Chart(summary)
        .mark_bar()
        .encode(
            x=alt.X("customers:Q"),
            y=alt.Y("segment_name:N", sort="-x", title=None),
            color=alt.Color("segment_name:N", legend=None),
            tooltip=["segment_name", "customers", alt.Tooltip("revenue_share:Q", format=".1%"), "recommended_action"],
        )
    )
    st.altair_chart(sizes, width="stretch")
    st.dataframe(summary, hide_index=True, width="stretch")


def distribution_chart(values: pd.DataFrame, feature: str, kind: str) -> Chart:
    base = alt.Chart(values)
    color = alt.Color("segment_name:N", title="segment")
    if kind == "Box plot":
        return base.mark_boxplot().encode(x=alt.X("value:Q", title=feature), y=alt.Y("segment_name:N", title=None))
    if kind == "ECDF":
        return (
            base.transform_window(ecdf="cume_dist()", sort=[{"field": "value"}], groupby=["segment_name"])
            .mark_line(interpolate="step-after")
            .encode(x=alt.X("value:Q", title=feature), y=alt.Y("ecdf:Q", title="share of customers"), color=color)
        )
    return base.mark_bar(opacity=0.6).encode(
        x=alt.X("value:Q", bin=alt.Bin(maxbins=40), title=feature),
        y=alt.Y("count():Q", stack=None, title="customers"),
        color=color,
    )


def _distribution(context: Context, segment_ids: list[int]) -> None:
    st.subheader("Distribution per segment")
    left, right = st.columns([2, 1])
    feature = left.selectbox("Feature", dashboard_data.DISTRIBUTION_FEATURES, index=2)
    kind = right.radio("Chart", CHART_KINDS, horizontal=True)
    with context.cursor() as cursor:
        values = dashboard_data.feature_values(cursor, feature, segment_ids)
    st.altair_chart(distribution_chart(values, feature, kind), width="stretch")


def _map(context: Context, segment_ids: list[int]) -> None:
    with context.cursor() as cursor:
        points = dashboard_data.embedding(cursor, segment_ids)
    method = points["method"].iloc[0] if not points.empty else "pca"
    st.subheader(f"Customer map ({str(method).upper()} of the segmentation space)")
    if len(points) > MAP_POINTS:
        st.caption(f"{MAP_POINTS:,} of {len(points):,} customers drawn at random.")
        points = points.sample(MAP_POINTS, random_state=0)
    chart = (
        alt.Chart(points)
        .mark_circle(size=18, opacity=0.7)
        .encode(
            x="x:Q",
            y="y:Q",
            color=alt.Color("segment_name:N", title="segment"),
            tooltip=[
                "customer_id",
                "segment_name",
                alt.Tooltip("churn_probability:Q", format=".2f"),
                alt.Tooltip("predicted_ltv:Q", format=",.0f"),
                "recommended_action",
            ],
        )
        .interactive()
    )
    st.altair_chart(chart, width="stretch")


def render(context: Context) -> None:
    with context.cursor() as cursor:
        summary = dashboard_data.segments(cursor)
    segment_ids = _segment_filter(summary)
    _summary(summary[summary["segment_id"].isin(segment_ids)])
    if not segment_ids:
        st.info("Choose at least one segment.")
    else:
        _distribution(context, segment_ids)
        _map(context, segment_ids)
    _compare(context)


# --- compare algorithms -----------------------------------------------------------------------------------------


def _candidates() -> tuple[list[segment_lab.Candidate], int, int]:
    controls = st.columns(4)
    algorithms = controls[0].multiselect("Algorithms", segment_lab.ALGORITHMS, default=list(segment_lab.ALGORITHMS))
    k = controls[1].slider("k (clusters)", *segment_lab.K_RANGE, value=5)
    scaling = controls[2].selectbox("Scaling", SEGMENT_SCALINGS, help="log_robust is the build's default")
    size = controls[3].number_input("Sample (customers)", min_value=20, max_value=100_000, value=5_000, step=500)
    dbscan = st.columns(3)
    eps = dbscan[0].number_input("DBSCAN eps (0: from the data)", min_value=0.0, value=0.0, step=0.05)
    min_samples = dbscan[1].number_input("DBSCAN min_samples (0: from min share)", min_value=0, value=0, step=1)
    seed = dbscan[2].number_input("Sample seed", min_value=0, value=42, step=1)
    candidates = [
        segment_lab.Candidate(
            algorithm,
            k=int(k),
            scaling=scaling,
            eps=float(eps) or None,
            min_samples=int(min_samples) or None,
        )
        for algorithm in algorithms
    ]
    return candidates, int(size), int(seed)


def _compare(context: Context) -> None:
    st.header("Compare algorithms")
    st.caption(
        "Fits each algorithm on a random sample of the current customers with the build's own code; silhouette "
        "(higher is better) and Davies-Bouldin (lower is better) are exact on the sample."
    )
    candidates, size, seed = _candidates()
    if st.button("Compare", type="primary", disabled=not candidates):
        with context.cursor() as cursor:
            sample = dashboard_data.segment_features_sample(cursor, size, seed)
        st.session_state["lab"] = (sample, [segment_lab.evaluate(sample, candidate) for candidate in candidates])
    if "lab" not in st.session_state:
        return
    sample, results = st.session_state["lab"]
    st.dataframe(pd.DataFrame([result.summary() for result in results]), hide_index=True, width="stretch")
    names = [f"{result.candidate.algorithm} (k={result.candidate.k})" for result in results]
    picked = st.selectbox("Candidate", range(len(results)), format_func=lambda index: names[index])
    chosen = results[int(picked)]
    points = segment_lab.candidate_map(sample, chosen)
    st.altair_chart(
        alt.Chart(points)
        .mark_circle(size=18, opacity=0.7)
        .encode(x="x:Q", y="y:Q", color=alt.Color("cluster:N"), tooltip=["customer_id", "cluster"]),
        width="stretch",
    )
    _use_setting(context, chosen.candidate.build_vars())


def _use_setting(context: Context, variables: dict[str, Any]) -> None:
    path = saved_vars_path(context.settings.warehouse_path)
    st.write("dbt vars for this candidate:", {name: value for name, value in variables.items() if value is not None})
    use, build, reset = st.columns(3)
    if use.button("Use this setting", help=f"Saves the vars in {path}: every `retail build` uses them"):
        save_vars(path, variables)
    if build.button("Use it and build now"):
        save_vars(path, variables)
        start(context.settings, "retail build", [["retail", "build"]])
    if reset.button("Reset to the project defaults"):
        reset_vars(path)
    saved = read_saved_vars(path)
    st.caption(f"Saved for the next builds ({path}): {saved or 'nothing, the project defaults apply'}")
