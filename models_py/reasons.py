"""Why a customer's churn risk is what it is: per-feature contributions in logit units, and words.

- XGBoost: SHAP values (``pred_contribs``); they and the bias add up to the model's logit.
- Logistic regression: coefficient x standardised value; with the intercept they add up to the logit.
- The ensemble: the mean of its two members' contributions (they add up to the mean of the members'
  logits; the ensemble averages probabilities, so its own logit differs slightly).

The top three contributions (largest push towards churn first) are stored with
what the rest adds up to, so base + the three + the rest is the logit above.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

TOP_REASONS = 3


def contributions(estimator: Any, matrix: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Per row and design-matrix column the contribution to the logit, and the base value per row."""
    if hasattr(estimator, "named_estimators_"):  # VotingClassifier: the mean of its members
        parts = [contributions(member, matrix) for member in estimator.estimators_]
        mean = np.mean([part[0].to_numpy() for part in parts], axis=0)
        return pd.DataFrame(mean, index=matrix.index, columns=matrix.columns), np.mean([part[1] for part in parts], 0)
    if hasattr(estimator, "steps"):  # StandardScaler + LogisticRegression
        scaler, logistic = estimator.steps[0][1], estimator.steps[-1][1]
        scaled = scaler.transform(matrix)
        values = scaled * logistic.coef_[0]
        return pd.DataFrame(values, index=matrix.index, columns=matrix.columns), np.full(
            len(matrix), float(logistic.intercept_[0])
        )
    from xgboost import DMatrix

    raw = estimator.get_booster().predict(DMatrix(matrix), pred_contribs=True)
    return pd.DataFrame(raw[:, :-1], index=matrix.index, columns=matrix.columns), raw[:, -1]


def _gap(row: pd.Series) -> str:
    usual = row["avg_interpurchase_days"]
    if pd.notna(usual) and usual > 0:
        return f"no order for {row['recency_days']:.0f} days, {row['recency_days'] / usual:.1f}x their usual gap"
    return f"no order for {row['recency_days']:.0f} days, after a single order"


def _trend(row: pd.Series) -> str:
    recent, prior = float(row["monetary_last_90d"]), float(row["monetary_prior_90d"])
    if prior > 0:
        change = (recent - prior) / prior
        direction = "down" if change < 0 else "up"
        return f"spend {direction} {abs(change):.0%} on the prior 90 days ({recent:.0f} vs {prior:.0f})"
    return f"spent {recent:.0f} in the last 90 days, nothing in the 90 before"


_WORDS: dict[str, Callable[[pd.Series], str]] = {
    "recency_days": _gap,
    "recency_to_interpurchase": _gap,
    "avg_interpurchase_days": lambda row: (
        f"orders every {row['avg_interpurchase_days']:.0f} days on average"
        if pd.notna(row["avg_interpurchase_days"])
        else "a single order so far"
    ),
    "frequency": lambda row: f"{row['frequency']:.0f} orders in {row['tenure_days']:.0f} days",
    "orders_per_30d": lambda row: f"{row['frequency']:.0f} orders in {row['tenure_days']:.0f} days",
    "orders_last_30d": lambda row: f"{row['orders_last_30d']:.0f} orders in the last 30 days",
    "orders_last_90d": lambda row: f"{row['orders_last_90d']:.0f} orders in the last 90 days",
    "recent_order_share": lambda row: (
        f"{row['orders_last_90d']:.0f} of {row['frequency']:.0f} orders in the last 90 days"
    ),
    "monetary_last_90d": _trend,
    "monetary_prior_90d": _trend,
    "spend_trend": _trend,
    "monetary": lambda row: f"spent {row['monetary']:.0f} in total",
    "avg_order_value": lambda row: f"average order {row['avg_order_value']:.0f}",
    "avg_items_per_order": lambda row: f"{row['avg_items_per_order']:.0f} items per order",
    "unique_products": lambda row: f"bought {row['unique_products']:.0f} different products",
    "avg_unit_price": lambda row: f"average unit price {row['avg_unit_price']:.2f}",
    "tenure_days": lambda row: f"first order {row['tenure_days']:.0f} days ago",
    "purchase_span_days": lambda row: f"first to last order {row['purchase_span_days']:.0f} days apart",
    "cancelled_orders": lambda row: f"{row['cancelled_orders']:.0f} cancelled orders",
    "return_rate": lambda row: f"returned {row['return_rate']:.0%} of what they bought",
    "bgnbd_probability_alive": lambda row: f"{row['bgnbd_probability_alive']:.0%} likely still active (BG/NBD)",
    "bgnbd_expected_orders": lambda row: f"{row['bgnbd_expected_orders']:.1f} orders expected next (BG/NBD)",
    "gamma_gamma_order_value": lambda row: f"expected order value {row['gamma_gamma_order_value']:.0f}",
    "bgnbd_expected_value": lambda row: f"expected spend {row['bgnbd_expected_value']:.0f} (BG/NBD x Gamma-Gamma)",
}


def in_words(feature: str, row: pd.Series, contribution: float) -> str:
    """One reason: the customer's own numbers, and which way they push the risk."""
    direction = "raises" if contribution > 0 else "lowers"
    return f"{_WORDS[feature](row)} ({direction} risk)"


def top_reasons(estimator: Any, matrix: pd.DataFrame, values: pd.DataFrame) -> pd.DataFrame:
    """Per row: base value, the three largest contributions towards churn (feature, contribution, words)
    and the sum of the others. ``values`` holds the customers' raw features (same index as ``matrix``)."""
    contributed, base = contributions(estimator, matrix)
    order = np.argsort(-contributed.to_numpy(), axis=1, kind="stable")[:, :TOP_REASONS]
    columns = np.asarray(contributed.columns)
    out: dict[str, Any] = {"churn_logit_base": base}
    chosen_total = np.zeros(len(matrix))
    for rank in range(TOP_REASONS):
        features = columns[order[:, rank]]
        amounts = contributed.to_numpy()[np.arange(len(matrix)), order[:, rank]]
        chosen_total += amounts
        out[f"reason_{rank + 1}_feature"] = features
        out[f"reason_{rank + 1}_contribution"] = amounts
        out[f"reason_{rank + 1}_text"] = [
            in_words(feature, row, amount)
            for feature, (_, row), amount in zip(features, values.iterrows(), amounts, strict=True)
        ]
    out["other_reasons_contribution"] = contributed.to_numpy().sum(axis=1) - chosen_total
    return pd.DataFrame(out, index=matrix.index)
