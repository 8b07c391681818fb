"""When will a customer buy next: BG/NBD fitted on the current customers' own purchase histories.

No labels are needed, so the model is fitted at every build on the customers
being scored (repeat purchases, time of the last one, age, in weeks) and
gives per customer the probability of still being active, the expected
orders in the LTV horizon and, for an active customer, the expected days to
the next order. reporting.customer_scores turns the days into a date.
"""

from __future__ import annotations

import pandas as pd

from models_py.ml.bgnbd import BgNbd
from models_py.ml.features import CUSTOMER_ID

FORECAST_SCHEMA = {
    CUSTOMER_ID: "string",
    "probability_alive": "float64",
    "expected_orders": "float64",
    "expected_days_to_next_order": "float64",
    "forecast_horizon_days": "int64",
}
_HISTORY = (CUSTOMER_ID, "frequency", "purchase_span_days", "tenure_days")


def forecast(features: pd.DataFrame, horizon_days: int) -> pd.DataFrame:
    """One row per customer of ``features`` (marts.customer_features) with the BG/NBD quantities."""
    if features.empty:
        return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in FORECAST_SCHEMA.items()})
    history = features.loc[:, list(_HISTORY)].sort_values(CUSTOMER_ID, kind="stable").reset_index(drop=True)
    model = BgNbd.fit(history)
    return pd.DataFrame(
        {
            CUSTOMER_ID: history[CUSTOMER_ID].astype("string"),
            "probability_alive": model.probability_alive(history),
            "expected_orders": model.expected_purchases(history, horizon_days),
            "expected_days_to_next_order": model.expected_days_to_next_purchase(history),
            "forecast_horizon_days": horizon_days,
        }
    )
