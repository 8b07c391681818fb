"""Small synthetic feature tables with a known signal, for the model unit tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models_py.ml.features import MODEL_FEATURES


def customer_features(customers: int, seed: int, as_of_date: str = "2011-09-10") -> pd.DataFrame:
    """Feature rows shaped like marts.customer_features (heavy-tailed spend, some one-timers)."""
    rng = np.random.default_rng(seed)
    frequency = 1 + rng.poisson(3, customers)
    tenure = rng.integers(10, 300, customers)
    span = np.minimum(tenure - 1, rng.integers(0, 300, customers)) * (frequency > 1)
    recency = np.maximum(1, tenure - span)
    monetary = np.round(frequency * rng.lognormal(5, 1, customers), 2)
    frame = pd.DataFrame(
        {
            "customer_id": [f"C{index:05d}" for index in range(customers)],
            "recency_days": recency,
            "frequency": frequency,
            "monetary": monetary,
            "avg_order_value": np.round(monetary / frequency, 2),
            "avg_items_per_order": rng.uniform(1, 50, customers),
            "unique_products": 1 + rng.poisson(10, customers),
            "avg_unit_price": rng.uniform(0.5, 10, customers),
            "tenure_days": tenure,
            "purchase_span_days": span,
            "avg_interpurchase_days": np.where(frequency > 1, span / np.maximum(frequency - 1, 1), np.nan),
            "orders_last_30d": (recency <= 30).astype(int),
            "orders_last_90d": (recency <= 90).astype(int) * np.minimum(frequency, 3),
            "monetary_last_90d": np.where(recency <= 90, monetary / 3, 0.0),
            "monetary_prior_90d": np.where(recency <= 180, monetary / 4, 0.0),
            "spend_trend": rng.uniform(-1, 1, customers),
            "cancelled_orders": rng.poisson(0.3, customers),
            "return_rate": rng.uniform(0, 0.2, customers),
            "as_of_date": pd.Timestamp(as_of_date),
            "last_ordered_at": pd.Timestamp(as_of_date) - pd.to_timedelta(recency, unit="D"),
        }
    )
    assert set(MODEL_FEATURES) <= set(frame.columns)
    return frame


def training_snapshots(customers: int, seed: int) -> pd.DataFrame:
    """Fit and validation snapshots whose labels depend on recency and frequency."""
    rng = np.random.default_rng(seed + 1)
    frames = []
    for role, offset, cutoff in (("fit", 0, "2011-06-12"), ("validation", 1, "2011-09-10")):
        snapshot = customer_features(customers, seed + offset, cutoff)
        logit = 0.02 * (snapshot["recency_days"] - 90) - 0.4 * (snapshot["frequency"] - 4)
        churned = rng.uniform(size=customers) < 1 / (1 + np.exp(-logit))
        spend = np.where(churned, 0.0, snapshot["monetary"] / snapshot["frequency"] * rng.uniform(0.5, 2, customers))
        frames.append(
            snapshot.assign(
                snapshot_role=role,
                stack_index=0,
                is_churned=churned,
                future_orders=np.where(churned, 0, 1 + rng.poisson(1, customers)),
                future_spend=np.round(spend, 2),
                spend_last_ltv_horizon=snapshot["monetary_last_90d"],
            )
        )
    return pd.concat(frames, ignore_index=True)
