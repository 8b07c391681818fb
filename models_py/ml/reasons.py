"""Why a customer's churn risk is what it is: per-feature contributions in logit units, and words.

- XGBoost: SHAP values (``pred_contribs``); they and the bias add up to the model's logit.
- Logistic regression: coefficient x standardised value; with the intercept they add up to the logit.
- The ensemble: the mean of its two members' contributions (they add up to the mean of the members'
  logits; the ensemble averages probabilities, so its own logit differs slightly).

Contributions are summed into six factors (recency, frequency, spend, spend
trend, tenure, returns; ``FACTORS``). The top three factors (largest push
towards churn first) are stored with what the rest adds up to, so base + the
three + the rest is the logit above.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
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


# Cached: a scoring build words about 1.2M counts (days, orders), nearly all of them repeats
# of a few thousand values; formatting each again took 0.6 s at 433k customers.
@functools.lru_cache(maxsize=65_536)
def _count(value: float, noun: str) -> str:
    return f"{value:,.0f} {noun}{'' if round(value) == 1 else 's'}"


def _column(values: pd.DataFrame, name: str) -> list[float]:
    return values[name].to_numpy(dtype=float, na_value=np.nan).tolist()


# Each describes many customers at once (a list, one text per row of ``values``): at 433k
# customers, a dict and a call per row and rank cost 3.6 s of every scoring build.
def _recency(values: pd.DataFrame) -> list[str]:
    texts = []
    for days, usual in zip(_column(values, "recency_days"), _column(values, "avg_interpurchase_days"), strict=True):
        quiet = f"no order for {_count(days, 'day')}"
        if math.isnan(usual):
            texts.append(f"{quiet}, after a single order")
        elif usual < 1:
            texts.append(f"{quiet}; their orders used to come less than a day apart")
        else:
            texts.append(f"{quiet}, {days / usual:.1f}x their usual gap of {_count(usual, 'day')}")
    return texts


def _frequency(values: pd.DataFrame) -> list[str]:
    columns = (_column(values, name) for name in ("frequency", "tenure_days", "orders_last_90d"))
    return [
        f"{_count(orders, 'order')} in {_count(tenure, 'day')}, {recent:.0f} in the last 90 days"
        for orders, tenure, recent in zip(*columns, strict=True)
    ]


def _spend(values: pd.DataFrame) -> list[str]:
    columns = (_column(values, name) for name in ("monetary", "avg_order_value"))
    return [
        f"spent {total:,.0f} in total, {per_order:,.0f} per order" for total, per_order in zip(*columns, strict=True)
    ]


def _trend(values: pd.DataFrame) -> list[str]:
    texts = []
    for recent, prior in zip(_column(values, "monetary_last_90d"), _column(values, "monetary_prior_90d"), strict=True):
        if prior > 0:
            change = (recent - prior) / prior
            direction = "down" if change < 0 else "up"
            texts.append(f"spend {direction} {abs(change):.0%} on the prior 90 days ({recent:,.0f} vs {prior:,.0f})")
        elif recent > 0:
            texts.append(f"spent {recent:,.0f} in the last 90 days, nothing in the 90 before")
        else:
            texts.append("nothing spent in the last 180 days")
    return texts


def _tenure(values: pd.DataFrame) -> list[str]:
    return [f"first order {_count(days, 'day')} ago" for days in _column(values, "tenure_days")]


def _returns(values: pd.DataFrame) -> list[str]:
    columns = (_column(values, name) for name in ("return_rate", "cancelled_orders"))
    return [
        f"returned {rate:.0%} of what they bought ({_count(cancelled, 'cancelled order')})"
        for rate, cancelled in zip(*columns, strict=True)
    ]


# Correlated inputs pull against each other in a model (a high total spend can carry a positive
# coefficient once order value and frequency are in): a reason is a factor, the sum of its inputs'
# contributions, so offsetting parts cancel and the words describe what the factor is about.
FACTORS: dict[str, tuple[tuple[str, ...], Callable[[pd.DataFrame], list[str]]]] = {
    "recency": (
        ("recency_days", "recency_to_interpurchase", "avg_interpurchase_days", "bgnbd_probability_alive"),
        _recency,
    ),
    "frequency": (
        (
            "frequency",
            "orders_per_30d",
            "orders_last_30d",
            "orders_last_90d",
            "recent_order_share",
            "bgnbd_expected_orders",
        ),
        _frequency,
    ),
    "spend": (
        (
            "monetary",
            "avg_order_value",
            "avg_items_per_order",
            "unique_products",
            "avg_unit_price",
            "gamma_gamma_order_value",
            "bgnbd_expected_value",
        ),
        _spend,
    ),
    "spend_trend": (("monetary_last_90d", "monetary_prior_90d", "spend_trend"), _trend),
    "tenure": (("tenure_days", "purchase_span_days"), _tenure),
    "returns": (("cancelled_orders", "return_rate"), _returns),
}


FACTOR_INPUTS = frozenset(feature for features, _ in FACTORS.values() for feature in features)


def factor_contributions(contributed: pd.DataFrame) -> pd.DataFrame:
    """Per row, each factor's contribution: the sum over its inputs."""
    unassigned = set(contributed.columns) - FACTOR_INPUTS
    if unassigned:
        raise ValueError(f"model inputs without a reason factor: {sorted(unassigned)}")
    return pd.DataFrame(
        {factor: contributed[list(features)].sum(axis=1) for factor, (features, _) in FACTORS.items()},
        index=contributed.index,
    )


def _directed(texts: np.ndarray, contributions: np.ndarray) -> np.ndarray:
    directions = np.where(contributions > 0, " (raises risk)", " (lowers risk)").astype(object)
    return np.asarray(texts + directions, dtype=object)


def in_words(factor: str, row: Mapping[str, Any], contribution: float) -> str:
    """One reason: the customer's own numbers, and which way they push the risk."""
    texts = np.asarray(FACTORS[factor][1](pd.DataFrame([dict(row)])), dtype=object)
    return str(_directed(texts, np.array([contribution]))[0])


def top_reasons(estimator: Any, matrix: pd.DataFrame, values: pd.DataFrame) -> pd.DataFrame:
    """Per row: base value, the three factors pushing most towards churn (factor, contribution, words)
    and the sum of the others. ``values`` holds the customers' raw features (same index as ``matrix``)."""
    contributed, base = contributions(estimator, matrix)
    factors = factor_contributions(contributed)
    amounts_all = factors.to_numpy()
    order = np.argsort(-amounts_all, axis=1, kind="stable")[:, :TOP_REASONS]
    chosen = np.asarray(factors.columns)[order]
    amounts = np.take_along_axis(amounts_all, order, axis=1)
    # Each factor's words for the customers it is a top reason of (at most once per customer).
    texts = np.empty(chosen.shape, dtype=object)
    for factor, (_, describe) in FACTORS.items():
        rows, ranks = np.nonzero(chosen == factor)
        if len(rows):
            texts[rows, ranks] = np.asarray(describe(values.iloc[rows]), dtype=object)
    out: dict[str, Any] = {"churn_logit_base": base}
    for rank in range(TOP_REASONS):
        out[f"reason_{rank + 1}_factor"] = chosen[:, rank]
        out[f"reason_{rank + 1}_contribution"] = amounts[:, rank]
        out[f"reason_{rank + 1}_text"] = _directed(texts[:, rank], amounts[:, rank])
    out["other_reasons_contribution"] = amounts_all.sum(axis=1) - amounts.sum(axis=1, dtype=float)
    return pd.DataFrame(out, index=matrix.index)
