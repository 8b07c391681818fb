"""Overview: the KPIs of the latest publication, its freshness, drift and data quality."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from models_py.serving import dashboard_data
from models_py.serving.dashboard_pages.common import Chart, Context, money, share


def _kpis(kpis: dict[str, object]) -> None:
    first = st.columns(4)
    first[0].metric("Customers", f"{int(kpis['customers']):,}")  # type: ignore[call-overload]
    first[1].metric("Revenue to date", money(kpis["revenue"]))
    first[2].metric(f"Predicted LTV, next {kpis['ltv_horizon_days']} days", money(kpis["predicted_ltv"]))
    first[3].metric("Expected churn loss (margin)", money(kpis["expected_churn_loss"]))
    second = st.columns(4)
    second[0].metric("Recommended for contact", f"{int(kpis['contacts']):,}")  # type: ignore[call-overload]
    second[1].metric("Campaign cost", money(kpis["contact_cost"]))
    second[2].metric("Expected saved margin", money(kpis["expected_saved_margin"]))
    roi = kpis["expected_roi"]
    second[3].metric("Expected ROI", "-" if roi is None else f"{float(roi):.0%}")  # type: ignore[arg-type]
    budget = kpis["campaign_budget"]
    st.caption(
        f"Assumptions: an incentive costs {money(kpis['retention_incentive_cost'])}, gross margin "
        f"{share(kpis['gross_margin'])}, an offer keeps {share(kpis['save_rate'])} of the customers who would "
        f"churn (save_rate: an assumption, replace it with your campaigns' measured rate), campaign budget "
        f"{'unlimited' if budget is None else money(budget)}. A customer is recommended when the expected saved "
        "margin exceeds the incentive."
    )


def _freshness(view: dashboard_data.Overview) -> None:
    fresh = view.freshness
    st.subheader("Freshness")
    st.write(
        f"Data as of **{fresh['as_of_date']}** (features use transactions before this date); "
        f"published {fresh['published_at']:%Y-%m-%d %H:%M} UTC (publication `{fresh['publication_id']}`)."
    )
    st.dataframe(view.models, hide_index=True, width="stretch")


def _drift(view: dashboard_data.Overview) -> None:
    level = dashboard_data.drift_level(view.drift)
    st.subheader("Drift")
    message = f"Latest drift checks: **{level}**"
    {"error": st.error, "warn": st.warning, "ok": st.success}.get(level, st.info)(message)
    st.dataframe(view.drift, hide_index=True, width="stretch")


def quality_chart(quality: pd.DataFrame) -> Chart:
    return (
        alt.Chart(quality)
        .mark_bar()
        .encode(
            x=alt.X("rows_affected:Q", title="source rows"),
            y=alt.Y("rule_name:N", sort=list(quality["rule_name"]), title=None),
            color=alt.Color("is_dropped:N", title="dropped"),
            tooltip=["rule_name", "rows_affected", alt.Tooltip("share_of_raw_rows:Q", format=".2%"), "why_dropped"],
        )
    )


def _quality(view: dashboard_data.Overview) -> None:
    st.subheader("Data quality: kept rows and each dropped rule")
    st.altair_chart(quality_chart(view.data_quality), width="stretch")
    st.dataframe(view.data_quality, hide_index=True, width="stretch")


def _where_to_act(summary: pd.DataFrame) -> None:
    st.subheader("Where to act")
    columns = [
        "segment_name",
        "customers",
        "mean_churn_probability",
        "contact_recommended_customers",
        "expected_net_benefit",
        "recommended_action",
    ]
    ranked = summary.sort_values("expected_net_benefit", ascending=False)[columns]
    st.dataframe(ranked, hide_index=True, width="stretch")


def render(context: Context) -> None:
    with context.cursor() as cursor:
        view = dashboard_data.overview(cursor)
        summary = dashboard_data.segments(cursor)
    _kpis(view.kpis)
    _where_to_act(summary)
    _freshness(view)
    left, right = st.columns(2)
    with left:
        _drift(view)
    with right:
        _quality(view)
