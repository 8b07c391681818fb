"""Any engine's DataFrame as pandas: what keeps the thin dbt Python models engine-agnostic.

dbt hands a Python model the engine's own DataFrame for ``dbt.ref(...)``: a DuckDB
relation here, a Spark DataFrame on Databricks, a Snowpark DataFrame on
Snowflake, a BigQuery DataFrames frame on BigQuery. The models convert through
``to_pandas`` and ``models_py`` only ever sees pandas.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import pyarrow as pa

# The method each engine's frame converts with, in the order tried: Spark (toPandas),
# Snowpark, BigQuery DataFrames, pandas-on-Spark and Arrow (to_pandas), DuckDB (df).
_CONVERTERS = ("toPandas", "to_pandas", "df")


def to_pandas(frame: Any, columns: Sequence[str] | None = None, where: str | None = None) -> pd.DataFrame:
    """``frame`` as pandas: only the rows matching the SQL condition ``where`` and only ``columns``
    (both optional), filtered and selected in the engine before the transfer."""
    if where is not None:
        if isinstance(frame, pa.Table):
            frame = frame.to_pandas()
        # pandas' query reads a plain comparison the way SQL does; engines take the SQL itself.
        frame = frame.query(where) if isinstance(frame, pd.DataFrame) else frame.filter(where)
    if columns is not None and isinstance(frame, pa.Table):
        frame = frame.select(list(columns))
    elif columns is not None and not isinstance(frame, pd.DataFrame) and hasattr(frame, "select"):
        frame = frame.select(*columns)
    if isinstance(frame, pd.DataFrame):
        converted = frame
    else:
        method = next((name for name in _CONVERTERS if callable(getattr(frame, name, None))), None)
        if method is None:
            raise TypeError(
                f"cannot turn a {type(frame).__module__}.{type(frame).__name__} into pandas: "
                f"it has none of {', '.join(_CONVERTERS)}"
            )
        converted = getattr(frame, method)()
    return converted if columns is None else converted.loc[:, list(columns)]
