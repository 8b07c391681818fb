"""The interactive dashboard (Streamlit): ``retail dashboard``, http://127.0.0.1:8501 by default.

It reads the published warehouse only (through the API's publication reader,
so it follows each new publication without a restart and never blocks a
build) and the replay's publication; work that writes (ingest, build, replay)
runs as a background ``retail`` job, one at a time. The pages are thin: the
figures come from ``dashboard_data`` (SQL on the publication), the algorithm
comparison from ``segment_lab``, uploads from ``uploads`` and ``ingest``.
"""

from __future__ import annotations

import streamlit as st

from models_py.errors import RetailError
from models_py.serving.dashboard_pages import customers, data, models, movements, overview, segments
from models_py.serving.dashboard_pages.common import Context, job_panel, publication_card
from models_py.serving.live import LivePublication
from models_py.settings import Settings

PAGES = {
    "Overview": overview.render,
    "Segments": segments.render,
    "Customers": customers.render,
    "Movements": movements.render,
    "Data": data.render,
    "Models": models.render,
}


@st.cache_resource
def _live(published_path: str, tracking_uri: str) -> LivePublication:
    from pathlib import Path

    return LivePublication(Path(published_path), tracking_uri)


def _chosen_page() -> str:
    # The page is in the URL (?page=Segments), so a link or a reload opens the same page.
    requested = st.query_params.get("page", "Overview")
    names = list(PAGES)
    choice = st.sidebar.radio("Page", names, index=names.index(requested) if requested in names else 0)
    st.query_params["page"] = choice
    return str(choice)


def main() -> None:
    st.set_page_config(page_title="retail-retention", layout="wide")
    settings = Settings.from_env()
    st.sidebar.title("retail-retention")
    page = _chosen_page()
    job_panel(settings)
    live = _live(str(settings.published_path), settings.tracking_uri)
    try:
        loaded = live.current()
    except RetailError as error:
        loaded = None
        if page != "Data":
            st.title(page)
            st.warning(f"{error}. Load a file on the Data page, or run `retail build`.")
            return
    context = Context(settings=settings, live=live, loaded=loaded)
    publication_card(context)
    st.title(page)
    PAGES[page](context)


main()
