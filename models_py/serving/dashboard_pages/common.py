"""What every page shares: the context it renders from, the background job panel, number formats."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import duckdb
import streamlit as st

from models_py.errors import RetailError
from models_py.serving.jobs import JobStatus, latest_job, request, start_job
from models_py.serving.live import LivePublication, LoadedPublication
from models_py.settings import Settings

JOB_REFRESH_SECONDS = 2.0
# Altair's chart objects are untyped.
Chart = Any


@dataclass(frozen=True)
class Context:
    settings: Settings
    live: LivePublication
    loaded: LoadedPublication | None  # None: nothing published yet (only the Data page renders then)

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        if self.loaded is None:
            raise RetailError("nothing is published yet")
        with self.loaded.cursor() as cursor:
            yield cursor


def money(value: Any) -> str:
    return "-" if value is None else f"{float(value):,.0f}"


def share(value: Any) -> str:
    return "-" if value is None else f"{float(value):.1%}"


def start(settings: Settings, label: str, commands: Sequence[Sequence[str]]) -> bool:
    """Start a background job; a refusal (another job runs) or a bad request is shown, not raised."""
    try:
        start_job(settings.warehouse_path, label, commands)
    except RetailError as error:
        st.error(str(error))
        return False
    st.toast(f"started: {label}")
    return True


def _job_summary(job: JobStatus) -> None:
    progress = job.progress
    if job.state in ("running", "paused"):
        counter = f"{progress.done} of {progress.total}" if progress.total else "starting"
        st.progress(
            progress.fraction,
            text=f"{job.label} ({job.state} since {job.started_at:%H:%M}): step {progress.step} of "
            f"{progress.steps}, {progress.label}: {counter}",
        )
        stoppable = any(command[:2] == ["retail", "replay"] for command in job.commands)
        if stoppable:
            pause, stop = st.columns(2)
            if job.state == "paused":
                if pause.button("Resume", key="job_resume"):
                    request(job.directory, "resume")
            elif pause.button("Pause", key="job_pause", help="Pauses after the current batch"):
                request(job.directory, "pause")
            if stop.button("Stop", key="job_stop", help="Stops after the current batch; the replay stays consistent"):
                request(job.directory, "stop")
    elif job.state == "failed":
        st.error(f"{job.label} failed at {job.finished_at or job.started_at:%H:%M}: {job.failure or 'see the log'}")
        st.caption("The previous publication stays on screen.")
    else:
        st.success(f"{job.label} {job.state} at {job.finished_at:%H:%M}" if job.finished_at else job.label)
    with st.expander("log", expanded=False):
        st.code("\n".join(job.log_tail) or "(no output yet)", language=None)


@st.fragment(run_every=JOB_REFRESH_SECONDS)
def _job_fragment(settings: Settings) -> None:
    job = latest_job(settings.warehouse_path)
    if job is None:
        st.caption("No build, ingest or replay started from here yet.")
        return
    _job_summary(job)
    # When a job ends, the whole page reruns once: a new publication shows without a reload.
    was_running = st.session_state.get("job_was_running", False)
    st.session_state["job_was_running"] = not job.finished
    if job.finished and was_running:
        st.rerun()


def job_panel(settings: Settings) -> None:
    """The sidebar: the latest background job with its live progress, and a build button."""
    with st.sidebar:
        st.subheader("Background job")
        _job_fragment(settings)
        if st.button("Build now", help="retail build on what is loaded, with the saved vars"):
            start(settings, "retail build", [["retail", "build"]])


def publication_card(context: Context) -> None:
    """The sidebar's summary of what every page shows: the publication's date and its segments."""
    from models_py.serving import dashboard_data

    if context.loaded is None:
        return
    with context.cursor() as cursor:
        summary = dashboard_data.segments(cursor)
    loaded = context.loaded
    with st.sidebar:
        st.subheader("Publication")
        st.caption(
            f"as of {loaded.as_of_date}, published {loaded.publication.published_at:%Y-%m-%d %H:%M} UTC; "
            "a new publication shows on the next click."
        )
        st.markdown(
            "\n".join(
                f"- {name}: {customers:,}"
                for name, customers in zip(summary["segment_name"], summary["customers"], strict=True)
            )
        )
