"""Churn reasons: contributions that add up to the model's logit, and words that say the customer's numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import logit

from models_py.ml.bgnbd import PurchaseModels
from models_py.ml.churn import make_classifier
from models_py.ml.config import ChurnConfig
from models_py.ml.features import design_matrix
from models_py.ml.reasons import FACTORS, in_words, top_reasons
from models_py.ml.training_sets import with_purchase_features
from tests.python.unit.synthetic import training_snapshots


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    snapshots = training_snapshots(300, seed=11)
    inputs = with_purchase_features(snapshots, PurchaseModels.fit(snapshots, 90))
    labels = snapshots["is_churned"].astype(int).to_numpy()
    return inputs, labels, design_matrix(inputs)


def _model_logit(name: str, model: object, matrix: pd.DataFrame) -> np.ndarray:
    """The logit each model computes itself: decision_function, the booster margin, or the members' mean."""
    if name == "logistic":
        return np.asarray(model.decision_function(matrix))  # type: ignore[attr-defined]
    if name == "xgboost":
        return np.asarray(model.predict(matrix, output_margin=True))  # type: ignore[attr-defined]
    members = model.named_estimators_  # type: ignore[attr-defined]
    return (
        _model_logit("logistic", members["logistic"], matrix) + _model_logit("xgboost", members["xgboost"], matrix)
    ) / 2


@pytest.mark.parametrize("name", ["logistic", "xgboost", "ensemble"])
def test_base_top_three_and_the_rest_add_up_to_the_logit(name: str, data: tuple) -> None:
    inputs, labels, matrix = data
    model = make_classifier(name, ChurnConfig(), float(labels.mean())).fit(matrix, labels)
    customers = inputs.index[:50]

    reasons = top_reasons(model, matrix.loc[customers], inputs.loc[customers])

    total = reasons["churn_logit_base"] + reasons[[f"reason_{rank}_contribution" for rank in (1, 2, 3)]].sum(axis=1)
    total += reasons["other_reasons_contribution"]
    np.testing.assert_allclose(total, _model_logit(name, model, matrix.loc[customers]), atol=1e-4)
    if name != "ensemble":  # the ensemble averages probabilities, not logits
        probability = model.predict_proba(matrix.loc[customers])[:, 1]
        np.testing.assert_allclose(total, logit(probability), atol=1e-4)
    # Largest push towards churn first.
    assert (reasons["reason_1_contribution"] >= reasons["reason_2_contribution"]).all()
    assert (reasons["reason_2_contribution"] >= reasons["reason_3_contribution"]).all()


def test_logistic_factor_contribution_is_the_sum_of_coefficient_times_standardised_value(data: tuple) -> None:
    inputs, labels, matrix = data
    model = make_classifier("logistic", ChurnConfig(), float(labels.mean())).fit(matrix, labels)
    reasons = top_reasons(model, matrix.head(50), inputs.head(50))
    coefficients = dict(zip(matrix.columns, model[-1].coef_[0], strict=True))
    standardised = (matrix - matrix.mean()) / matrix.std(ddof=0)
    for index, row in reasons.iterrows():
        features = FACTORS[row["reason_1_factor"]][0]
        expected = sum(coefficients[feature] * standardised.loc[index, feature] for feature in features)
        assert row["reason_1_contribution"] == pytest.approx(expected, rel=1e-6)


def test_each_reason_text_describes_its_customer_its_factor_and_its_direction(data: tuple) -> None:
    inputs, labels, matrix = data
    model = make_classifier("logistic", ChurnConfig(), float(labels.mean())).fit(matrix, labels)
    customers = inputs.index[:80]

    reasons = top_reasons(model, matrix.loc[customers], inputs.loc[customers])

    factors = reasons[[f"reason_{rank}_factor" for rank in (1, 2, 3)]].to_numpy()
    assert len(set(factors.ravel())) >= 4, "too few factors among the reasons to test their placement"
    for customer, row in reasons.iterrows():
        for rank in (1, 2, 3):
            factor, contribution = row[f"reason_{rank}_factor"], row[f"reason_{rank}_contribution"]
            assert row[f"reason_{rank}_text"] == in_words(factor, inputs.loc[customer], contribution)


def test_words_carry_the_customers_numbers() -> None:
    row = pd.Series(
        {
            "recency_days": 190,
            "avg_interpurchase_days": 63.3333,
            "monetary_last_90d": 40.0,
            "monetary_prior_90d": 100.0,
            "frequency": 4,
            "orders_last_90d": 1,
            "tenure_days": 400,
            "monetary": 1234.5,
            "avg_order_value": 308.6,
            "return_rate": 0.25,
            "cancelled_orders": 2,
        }
    )
    assert in_words("recency", row, 0.8) == "no order for 190 days, 3.0x their usual gap of 63 days (raises risk)"
    assert in_words("spend_trend", row, 0.3) == "spend down 60% on the prior 90 days (40 vs 100) (raises risk)"
    assert in_words("frequency", row, -0.5) == "4 orders in 400 days, 1 in the last 90 days (lowers risk)"
    assert in_words("spend", row, -0.1) == "spent 1,234 in total, 309 per order (lowers risk)"
    assert in_words("returns", row, 0.1) == "returned 25% of what they bought (2 cancelled orders) (raises risk)"
    assert in_words("tenure", row, 0.1) == "first order 400 days ago (raises risk)"
    one_order = row.copy()
    one_order["avg_interpurchase_days"] = np.nan
    assert in_words("recency", one_order, 0.2) == "no order for 190 days, after a single order (raises risk)"
    same_day = row.copy()
    same_day["avg_interpurchase_days"] = 0.03  # many orders on one day: no 6,000x ratios
    assert "less than a day apart" in in_words("recency", same_day, 0.2)


def test_every_model_input_belongs_to_exactly_one_factor(data: tuple) -> None:
    _, _, matrix = data
    assigned = [feature for features, _ in FACTORS.values() for feature in features]
    assert sorted(assigned) == sorted(matrix.columns)
