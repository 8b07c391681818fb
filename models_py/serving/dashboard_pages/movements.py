"""Movements: segment sizes over builds and moves between segments; the streaming simulation (replay)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

from models_py.errors import RetailError
from models_py.publish import open_published
from models_py.replay import default_start_days, replay_settings
from models_py.serving import dashboard_data
from models_py.serving.dashboard_pages.common import JOB_REFRESH_SECONDS, Chart, Context, start
from models_py.serving.jobs import running_job


def replay_warehouse(context: Context) -> Path:
    return context.settings.warehouse_path.parent / "replay" / "retail.duckdb"


def size_chart(history: pd.DataFrame) -> Chart:
    return (
        alt.Chart(history)
        .mark_line(point=True)
        .encode(
            x=alt.X("as_of_date:T", title="as_of_date"),
            y=alt.Y("customers:Q"),
            color=alt.Color("segment_name:N", title="segment"),
            tooltip=["as_of_date:T", "segment_id", "segment_name", "customers"],
        )
    )


def transition_heatmap(moves: pd.DataFrame) -> Chart:
    return (
        alt.Chart(moves)
        .mark_rect()
        .encode(
            x=alt.X("to_segment_name:N", title="to"),
            y=alt.Y("from_segment_name:N", title="from"),
            color=alt.Color("customers:Q", scale=alt.Scale(scheme="blues")),
            tooltip=["from_segment_name", "to_segment_name", "customers"],
        )
    )


def _movements(history: pd.DataFrame, moves: pd.DataFrame) -> None:
    if history.empty:
        st.info("No segment history yet: every build appends one row per segment.")
    else:
        st.write(f"{history['as_of_date'].nunique()} dates, {len(history)} rows of segment_size_history.")
        st.altair_chart(size_chart(history), width="stretch")
    if moves.empty:
        st.info("No customer has moved between segments yet (the first build has nothing to compare with).")
        return
    st.write(f"{int(moves['customers'].sum()):,} moves between segments.")
    left, right = st.columns(2)
    left.altair_chart(transition_heatmap(moves), width="stretch")
    right.dataframe(moves, hide_index=True, width="stretch")


def _simulation_form(context: Context) -> None:
    with context.cursor() as cursor:
        first_day, last_day = dashboard_data.order_dates(cursor)
    default_start = min(last_day, first_day + timedelta(days=default_start_days(context.settings.project_dir)))
    with st.form("replay"):
        st.write(
            f"Feed the loaded transactions ({first_day} to {last_day}) to a separate warehouse in batches, "
            "building after each one. The first build needs two churn horizons of history before the start."
        )
        first = st.columns(3)
        start_date = first[0].date_input("Start (earlier rows form the first batch)", value=default_start)
        end_date = first[1].date_input("End (last day replayed)", value=last_day)
        by = first[2].selectbox("Batch", ["week", "day", "rows"])
        second = st.columns(2)
        rows = second[0].number_input("Rows per batch (for rows)", min_value=1_000, value=50_000, step=1_000)
        refit = second[1].number_input(
            "Full refit every K batches (1: refit each build; K > 1: partial_fit between)", min_value=1, value=4
        )
        submitted = st.form_submit_button("Start the simulation", type="primary")
    if submitted:
        start(context.settings, "retail replay", [replay_command(start_date, end_date, by, int(rows), int(refit))])


def replay_command(start_date: date | None, end_date: date | None, by: str, rows: int, refit: int) -> list[str]:
    command = ["retail", "replay", "--by", by, "--refit-every", str(refit), "--force"]
    if by == "rows":
        command += ["--rows", str(rows)]
    if start_date is not None:
        command += ["--start", start_date.isoformat()]
    if end_date is not None:
        command += ["--end", end_date.isoformat()]
    return command


def _simulation(context: Context) -> None:
    st.header("Streaming simulation")
    _simulation_form(context)
    job = running_job(context.settings.warehouse_path)
    replaying = job is not None and job.commands[0][:2] == ["retail", "replay"]
    # While a replay runs, the results below are re-read every few seconds: they grow batch by batch.
    st.fragment(run_every=JOB_REFRESH_SECONDS if replaying else None)(_simulation_results)(context)


def _simulation_results(context: Context) -> None:
    published = replay_settings(context.settings, replay_warehouse(context)).published_path
    try:
        with open_published(published) as con:
            history, moves = dashboard_data.size_history(con), dashboard_data.transitions(con)
    except RetailError:
        st.caption("No simulation yet: its results appear here batch by batch.")
        return
    st.subheader("Simulated segment sizes and moves")
    _movements(history, moves)


def render(context: Context) -> None:
    with context.cursor() as cursor:
        history, moves = dashboard_data.size_history(cursor), dashboard_data.transitions(cursor)
    _movements(history, moves)
    _simulation(context)
