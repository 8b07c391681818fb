"""Customers: one customer's picture, and the filterable list of customers at risk (with a CSV download)."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from models_py.serving import dashboard_data
from models_py.serving.dashboard_pages.common import Context, money, share


def _headline(scores: dict[str, Any]) -> None:
    cards = st.columns(5)
    cards[0].metric("ML segment", str(scores["segment_name"]))
    cards[1].metric("RFM segment", str(scores.get("rfm_segment") or "-"))
    cards[2].metric("Churn probability", share(scores["churn_probability"]))
    cards[3].metric(f"Predicted LTV, {scores['ltv_horizon_days']} days", money(scores["predicted_ltv"]))
    cards[4].metric("Expected value of contact", money(scores["expected_value_of_contact"]))
    next_order = scores.get("next_order_expected_on")
    st.write(
        f"**Recommended action:** {scores['recommended_action']} ({scores['lifecycle_stage']} customer, "
        f"{scores['value_tier']} value, {scores['risk_tier']} risk; contact "
        f"{'recommended' if scores['is_contact_recommended'] else 'not worth an incentive'})."
    )
    st.write(
        f"**Probability alive (BG/NBD):** {share(scores.get('probability_alive'))}; expected orders in the "
        f"horizon {float(scores.get('expected_orders_next_horizon') or 0):.2f}; next order expected "
        f"{next_order if next_order is not None else 'no longer expected (inactive)'}."
    )
    reasons = [scores.get(f"churn_reason_{index}") for index in (1, 2, 3)]
    st.write("**Why at risk:**")
    st.markdown("\n".join(f"{index}. {text}" for index, text in enumerate(reasons, 1) if text) or "-")


def _history(view: dashboard_data.CustomerView) -> None:
    left, right = st.columns(2)
    with left:
        st.subheader("Segment history")
        st.dataframe(view.segment_history, hide_index=True, width="stretch")
    with right:
        st.subheader("Scores over builds")
        builds = view.score_history
        if len(builds) > 1:
            long = builds.melt("as_of_date", ["predicted_ltv", "churn_probability"], "score", "value")
            chart = (
                alt.Chart(long)
                .mark_line(point=True)
                .encode(x="as_of_date:T", y=alt.Y("value:Q", title=None), color="score:N")
                .facet(row=alt.Row("score:N", title=None))
                .resolve_scale(y="independent")
            )
            st.altair_chart(chart)
        st.dataframe(builds, hide_index=True, width="stretch")


def _one_customer(context: Context) -> None:
    st.header("Find a customer")
    text = st.text_input("Customer id (or part of it)")
    if not text.strip():
        return
    with context.cursor() as cursor:
        matches = dashboard_data.find_customers(cursor, text)
        if not matches:
            st.warning(f"No customer id contains {text!r}.")
            return
        customer_id = st.selectbox("Customer", matches)
        view = dashboard_data.customer(cursor, str(customer_id))
    if view is None:
        return
    _headline(view.scores)
    st.subheader(f"Features as of {view.features.get('as_of_date')}")
    st.dataframe(pd.DataFrame([view.features]), hide_index=True, width="stretch")
    _history(view)


def _at_risk(context: Context) -> None:
    st.header("Customers at risk")
    with context.cursor() as cursor:
        summary = dashboard_data.segments(cursor)
    names = {int(key): str(name) for key, name in zip(summary["segment_id"], summary["segment_name"], strict=True)}
    controls = st.columns(5)
    segment_ids = controls[0].multiselect("Segments (none: all)", list(names), format_func=names.__getitem__)
    value_tiers = controls[1].multiselect("Value tier", ["high", "low"], default=["high", "low"])
    risk_tiers = controls[2].multiselect("Risk tier", ["high", "low"], default=["high"])
    minimum = controls[3].number_input("Minimum expected loss", min_value=0.0, value=0.0, step=10.0)
    only_contact = controls[4].checkbox("Contact recommended only")
    chosen = dashboard_data.AtRiskFilter(
        tuple(segment_ids), tuple(value_tiers), tuple(risk_tiers), float(minimum), only_contact
    )
    with context.cursor() as cursor:
        customers = dashboard_data.at_risk(cursor, chosen)
        by_segment = dashboard_data.at_risk_by_segment(cursor, chosen)
    st.write(
        f"{int(by_segment['customers'].sum()):,} customers, expected churn loss "
        f"{money(by_segment['expected_churn_loss'].sum())} (margin), the largest first."
    )
    if not by_segment.empty:
        st.altair_chart(
            alt.Chart(by_segment)
            .mark_bar()
            .encode(
                x=alt.X("expected_churn_loss:Q", title="expected churn loss of the listed customers"),
                y=alt.Y("segment_name:N", sort="-x", title=None),
                tooltip=["segment_name", "customers", alt.Tooltip("expected_churn_loss:Q", format=",.0f")],
            ),
            width="stretch",
        )
    st.dataframe(customers, hide_index=True, width="stretch")
    st.download_button(
        "Download CSV", customers.to_csv(index=False).encode(), file_name="customers_at_risk.csv", mime="text/csv"
    )


def render(context: Context) -> None:
    _one_customer(context)
    _at_risk(context)
