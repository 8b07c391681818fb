"""Model inputs: the feature columns, their transformation, and input validation."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from models_py.errors import RetailError
from models_py.ml.bgnbd import PURCHASE_FEATURES

CUSTOMER_ID = "customer_id"
MODEL_FEATURES = (
    "recency_days",
    "frequency",
    "monetary",
    "avg_order_value",
    "avg_items_per_order",
    "unique_products",
    "avg_unit_price",
    "tenure_days",
    "purchase_span_days",
    "avg_interpurchase_days",
    "orders_last_30d",
    "orders_last_90d",
    "monetary_last_90d",
    "monetary_prior_90d",
    "spend_trend",
    "cancelled_orders",
    "return_rate",
)
# Derived in design_matrix: rates relative to the customer's own history, so a
# snapshot with short history (the fit cutoff) and a long one are comparable.
DERIVED_FEATURES = ("orders_per_30d", "recency_to_interpurchase", "recent_order_share")
# Counts and money are heavy-tailed (one Online Retail customer spent 280k):
# log1p keeps them from dominating distances and linear models.
_LOG_FEATURES = frozenset((*MODEL_FEATURES, *PURCHASE_FEATURES, *DERIVED_FEATURES)) - {
    "spend_trend",
    "return_rate",
    "recent_order_share",
    "bgnbd_probability_alive",
}


def validate_frame(
    frame: pd.DataFrame,
    *,
    name: str,
    required: Sequence[str],
    unique: Sequence[str] = (),
    min_rows: int = 0,
) -> None:
    """Fail loudly on missing columns, duplicate keys or too few rows to fit."""
    missing = [column for column in required if column not in frame.columns]
    if missing:
        raise RetailError(f"{name}: missing column(s) {', '.join(missing)}; has {', '.join(frame.columns)}")
    if unique and _has_duplicates(frame, list(unique)):
        raise RetailError(f"{name}: {', '.join(unique)} is not unique")
    if len(frame) < min_rows:
        raise RetailError(f"{name}: {len(frame)} rows, at least {min_rows} are needed to fit a model")


def _has_duplicates(frame: pd.DataFrame, columns: list[str]) -> bool:
    # One key column: Series.is_unique hashes it (0.03 s for 433k customer ids); duplicated()
    # factorises the column first (0.19 s), and every scoring model checks its input.
    if len(columns) == 1:
        return not frame[columns[0]].is_unique
    return bool(frame.duplicated(subset=columns).any())


def as_of_date_of(frame: pd.DataFrame) -> str:
    """The single as_of_date of a feature frame, as YYYY-MM-DD."""
    dates = pd.to_datetime(frame["as_of_date"]).dt.date.unique()
    if len(dates) != 1:
        raise RetailError(f"expected one as_of_date in the features, found {sorted(map(str, dates))}")
    return str(dates[0])


def design_matrix(frame: pd.DataFrame) -> pd.DataFrame:
    """MODEL_FEATURES, PURCHASE_FEATURES (``training_sets.with_purchase_features``) and DERIVED_FEATURES
    as floats: log1p on heavy-tailed columns, no missing values.

    A one-order customer has no inter-purchase time; their tenure stands in (the
    gap since the first order is at least that long).
    """
    matrix = frame.loc[:, [*MODEL_FEATURES, *PURCHASE_FEATURES]].astype("float64")
    matrix["avg_interpurchase_days"] = matrix["avg_interpurchase_days"].fillna(matrix["tenure_days"])
    matrix = matrix.fillna(0.0)
    matrix["orders_per_30d"] = matrix["frequency"] / matrix["tenure_days"].clip(lower=1) * 30
    # How overdue the next order is: >1 means later than the customer's usual gap.
    matrix["recency_to_interpurchase"] = matrix["recency_days"] / matrix["avg_interpurchase_days"].clip(lower=1)
    matrix["recent_order_share"] = matrix["orders_last_90d"] / matrix["frequency"].clip(lower=1)
    logged = [column for column in matrix.columns if column in _LOG_FEATURES]
    # One frame operation, not one per column: scoring a single row (the API) is dominated by per-call overhead.
    matrix[logged] = np.log1p(matrix[logged].clip(lower=0))
    return matrix
