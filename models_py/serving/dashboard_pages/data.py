"""Data: upload a file, map its columns, preview it as it would be parsed, then ingest and build."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import streamlit as st

from models_py.errors import RetailError
from models_py.ingest.loading import Preview, file_sha256, preview_file
from models_py.ingest.mapping import CANONICAL_FIELDS, DECIMAL_SEPARATORS, ENCODINGS, parse_mapping
from models_py.serving import dashboard_data
from models_py.serving.dashboard_pages.common import Context, start
from models_py.serving.dashboard_pages.overview import quality_chart
from models_py.serving.uploads import UPLOAD_TYPES, save_mapping, save_upload, uploads_dir

NOT_MAPPED = "(not in the file)"
DETECT = "(detect)"
DELIMITER_CHOICES = {DETECT: None, "comma": ",", "semicolon": ";", "tab": "\t", "pipe": "|"}


# A resource cache: the preview holds a ColumnMapping, which cannot be pickled.
@st.cache_resource(show_spinner="Reading the file as it would be loaded...", max_entries=8)
def _preview(path: str, mapping_key: str, max_bad_share: float) -> Preview:
    raw = json.loads(mapping_key)
    mapping = parse_mapping(raw, "the mapping editor") if raw else None
    return preview_file(Path(path), mapping, max_bad_share=max_bad_share)


def _upload(context: Context) -> Path | None:
    limit = context.settings.upload_limit_mb
    uploaded = st.file_uploader(
        f"CSV, CSV.GZ, TSV, Excel or Parquet, up to {limit} MB", type=list(UPLOAD_TYPES), key="upload"
    )
    if uploaded is None:
        return None
    stored = st.session_state.get("stored_upload")
    if stored is None or stored[0] != uploaded.file_id:
        try:
            path = save_upload(uploaded.name, uploaded.getvalue(), uploads_dir(context.settings.warehouse_path), limit)
        except RetailError as error:
            st.error(str(error))
            return None
        stored = (uploaded.file_id, str(path))
        st.session_state["stored_upload"] = stored
    return Path(stored[1])


def _mapping_editor(header: list[str], proposed: dict[str, str]) -> dict[str, Any]:
    st.subheader("Map the columns")
    st.caption(
        "Proposed from the header; required: customer_id, order_datetime and quantity + unit_price or order_total."
    )
    options = [NOT_MAPPED, *header]
    raw: dict[str, Any] = {}
    columns = st.columns(4)
    for index, field in enumerate(CANONICAL_FIELDS):
        default = proposed.get(field)
        chosen = columns[index % 4].selectbox(
            field, options, index=options.index(default) if default in options else 0, key=f"map_{field}"
        )
        if chosen != NOT_MAPPED:
            raw[field] = chosen
    st.caption("Reading options (detected unless set)")
    reading = st.columns(4)
    datetime_format = reading[0].text_input("datetime_format", placeholder="e.g. %d/%m/%Y %H:%M", key="map_fmt")
    decimal = reading[1].selectbox("decimal_separator", [DETECT, *DECIMAL_SEPARATORS], key="map_decimal")
    delimiter = reading[2].selectbox("delimiter", list(DELIMITER_CHOICES), key="map_delimiter")
    encoding = reading[3].selectbox("encoding", [DETECT, *ENCODINGS], key="map_encoding")
    if datetime_format.strip():
        raw["datetime_format"] = datetime_format.strip()
    if decimal != DETECT:
        raw["decimal_separator"] = decimal
    if DELIMITER_CHOICES[delimiter]:
        raw["delimiter"] = DELIMITER_CHOICES[delimiter]
    if encoding != DETECT:
        raw["encoding"] = encoding
    return raw


def _show_preview(preview: Preview) -> None:
    if preview.errors:
        for error in preview.errors:
            st.error(error)
        st.caption("Nothing was written. Fix the mapping or the file.")
    if preview.head is not None and preview.reading is not None:
        reading = preview.reading
        st.success(
            f"{preview.rows:,} rows; {preview.bad_rows:,} with a parse error (kept, counted in data quality); "
            f"read as {reading.encoding or 'binary'}, delimiter {reading.delimiter!r}, dates "
            f"{reading.datetime_format}, decimal {reading.decimal_separator!r}."
        )
        if reading.datetime_format_also_fits:
            st.warning(
                f"The dates also read as {' or '.join(reading.datetime_format_also_fits)}. If that is how the "
                "shop writes them, set datetime_format above (appended to earlier loads, the file is read "
                "with their format when it fits)."
            )
        st.write("The first rows as they would be parsed:")
        st.dataframe(preview.head, hide_index=True, width="stretch")
        if preview.bad_examples is not None and not preview.bad_examples.empty:
            st.write("Rows that would be kept with a parse error:")
            st.dataframe(preview.bad_examples, hide_index=True, width="stretch")


def _load(context: Context) -> None:
    st.header("Load a file")
    path = _upload(context)
    if path is None:
        return
    first = _preview(str(path), "{}", context.settings.max_bad_share)
    if not first.header:
        _show_preview(first)
        return
    raw = _mapping_editor(first.header, first.proposed)
    try:
        mapping = parse_mapping(raw, "the mapping editor")
    except RetailError as error:
        st.error(str(error))
        return
    preview = _preview(str(path), json.dumps(raw, sort_keys=True), context.settings.max_bad_share)
    _show_preview(preview)
    mode = st.radio("Load as", ["replace everything loaded", "append as a new batch"], horizontal=True)
    repeated = mode.startswith("append") and _loaded_before(context, path)
    if repeated:
        st.error(f"This file was loaded before (load {repeated}, same SHA-256): appending it would double its rows.")
    if st.button("Ingest and build", type="primary", disabled=bool(preview.errors) or bool(repeated)):
        mapping_path = save_mapping(path, mapping)
        ingest = ["retail", "ingest", str(path), "--mapping", str(mapping_path)]
        if mode.startswith("append"):
            ingest.append("--append")
        start(context.settings, "ingest and build", [ingest, ["retail", "build"]])


def _loaded_before(context: Context, path: Path) -> int | None:
    """The published load of a file with the same content, if any (ingest would refuse to append it)."""
    if context.loaded is None:
        return None
    with context.cursor() as cursor:
        loads = dashboard_data.loads(cursor)
    if loads.empty:
        return None
    same = loads[loads["file_sha256"] == file_sha256(path)]
    return int(same["load_id"].iloc[0]) if not same.empty else None


def _loaded(context: Context) -> None:
    if context.loaded is None:
        st.info("Nothing is published yet.")
        return
    with context.cursor() as cursor:
        loads = dashboard_data.loads(cursor)
        quality = dashboard_data.overview(cursor).data_quality
    st.header("Loads")
    if loads.empty:
        st.caption("This publication has no load list (published before the dashboard existed): build again.")
    else:
        st.dataframe(loads, hide_index=True, width="stretch")
    st.header("Data quality")
    st.caption("Each cleaning rule with the rows it removed, why, and what keeping them would cost.")
    st.altair_chart(quality_chart(quality), width="stretch")
    st.dataframe(quality, hide_index=True, width="stretch")


def render(context: Context) -> None:
    _load(context)
    _loaded(context)
