"""Typed output tables of the ML models, with the run metadata every score row carries."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import pandas as pd

# date32[pyarrow]: DuckDB reads it as DATE (datetime64 would become a timestamp).
RUN_COLUMNS = {
    "model_run_id": "string",
    "model_version": "int64",
    "trained_as_of_date": "date32[pyarrow]",
    "as_of_date": "date32[pyarrow]",
    "scored_at": "datetime64[us]",
}


def output_frame(
    schema: Mapping[str, str],
    columns: Mapping[str, object] | None = None,
    *,
    run_id: str = "",
    model_version: int = 0,
    trained_as_of_date: str = "",
    as_of_date: str = "",
) -> pd.DataFrame:
    """The output table with explicit dtypes plus ``RUN_COLUMNS``: the MLflow run
    and registered version that scored, and the as_of_date it was trained at.

    Without ``columns``: the empty table a `dbt build --empty` run returns (typed,
    so DuckDB does not create NULL-typed columns).
    """
    full = {**schema, **RUN_COLUMNS}
    if columns is None:
        return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in full.items()})
    frame = pd.DataFrame(dict(columns))
    frame["model_run_id"] = run_id
    frame["model_version"] = model_version
    frame["trained_as_of_date"] = pd.Timestamp(trained_as_of_date or as_of_date)
    frame["as_of_date"] = pd.Timestamp(as_of_date)
    frame["scored_at"] = pd.Timestamp(datetime.now(UTC).replace(tzinfo=None))
    return frame.astype(full).loc[:, list(full)]
