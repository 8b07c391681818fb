from __future__ import annotations

import numpy as np
import pytest

from models_py.ml.evaluation import (
    ContactEconomics,
    classification_metrics,
    contact_policies,
    regression_metrics,
    reliability_table,
    top_decile_capture,
)


def test_classification_metrics_perfect_and_random_ranking() -> None:
    labels = np.array([0, 0, 1, 1])

    perfect = classification_metrics(labels, np.array([0.1, 0.2, 0.8, 0.9]))
    inverted = classification_metrics(labels, np.array([0.9, 0.8, 0.2, 0.1]), probabilistic=False)

    assert perfect["roc_auc"] == 1.0 and perfect["pr_auc"] == 1.0
    assert perfect["brier"] == pytest.approx((0.01 + 0.04 + 0.04 + 0.01) / 4)
    assert inverted["roc_auc"] == 0.0 and "brier" not in inverted


def test_reliability_table_bins_probabilities() -> None:
    table = reliability_table(np.array([0, 1, 1, 0]), np.array([0.05, 0.95, 0.91, 0.15]), bins=10)

    assert len(table) == 10
    assert table.loc[0, "customers"] == 1 and table.loc[9, "observed_rate"] == 1.0
    assert table["customers"].sum() == 4


def test_top_decile_capture_counts_revenue_of_top_predicted() -> None:
    actual = np.array([100.0] + [0.0] * 9 + [10.0] * 10)
    predicted = np.arange(20, 0, -1, dtype=float)  # customer 0 ranked first

    assert top_decile_capture(actual, predicted) == pytest.approx(100 / 200)


def test_regression_metrics() -> None:
    metrics = regression_metrics(np.array([0.0, 10.0, 20.0]), np.array([0.0, 20.0, 20.0]))

    assert metrics["mae"] == pytest.approx(10 / 3)
    assert metrics["rmse"] == pytest.approx(np.sqrt(100 / 3))
    assert metrics["spearman"] == pytest.approx(0.866, abs=1e-3)


ECONOMICS = ContactEconomics(incentive_cost=3.0, gross_margin=0.5, save_rate=0.2, retention_probability_floor=0.1)


def test_value_at_risk_undoes_the_churn_discount_of_predicted_ltv() -> None:
    probabilities = np.array([0.4, 0.0, 0.95])
    predicted_ltv = np.array([60.0, 80.0, 30.0])

    value = ECONOMICS.value_at_risk(probabilities, predicted_ltv)
    worth = ECONOMICS.expected_value(probabilities, predicted_ltv)

    # 60 / 0.6; a customer sure to stay risks nothing; 1 - 0.95 is floored at 0.1: 30 / 0.1.
    np.testing.assert_allclose(value, [100.0, 80.0, 300.0])
    # 0.4 x 0.2 x 100 x 0.5 - 3; 0 - 3; 0.95 x 0.2 x 300 x 0.5 - 3.
    np.testing.assert_allclose(worth, [1.0, -3.0, 25.5])


def test_contact_policies_price_each_rule_on_what_happened() -> None:
    churned = np.array([1, 0, 1, 0])
    probabilities = np.array([0.8, 0.6, 0.3, 0.1])
    predicted_ltv = np.array([50.0, 40.0, 70.0, 90.0])  # value at risk 250, 100, 100, 100

    threshold, benefits = contact_policies(churned, probabilities, predicted_ltv, ECONOMICS)

    # Expected value: 0.8 x 0.2 x 250 x 0.5 - 3 = 17, 6 - 3 = 3, 3 - 3 = 0 (not positive), 1 - 3 = -2.
    assert benefits["contact_share_expected_value_rule"] == 0.5
    # Contacting the first two: the churner saves 0.2 x 250 x 0.5 = 25, two incentives cost 6.
    assert benefits["net_benefit_expected_value_rule"] == pytest.approx(19.0)
    # Everybody: 25 + 10 saved, 12 spent. The best threshold keeps the first three: 25 + 10 - 9.
    assert benefits["net_benefit_contact_everybody"] == pytest.approx(23.0)
    assert benefits["net_benefit_best_threshold"] == pytest.approx(26.0)
    assert 0.1 < threshold <= 0.3
    # The curve the dashboard plots, every 0.01: everybody up to 0.10, the first three up to 0.30, the first two
    # up to 0.60 (25 - 6), the first alone up to 0.80 (25 - 3), nobody above.
    curve = {key: value for key, value in benefits.items() if key.startswith("net_benefit_at_")}
    assert len(curve) == 99
    expected = {"01": 23.0, "10": 23.0, "11": 26.0, "30": 26.0, "31": 19.0, "60": 19.0, "61": 22.0, "80": 22.0}
    for key, value in expected.items():
        assert curve[f"net_benefit_at_{key}"] == pytest.approx(value), key
    assert curve["net_benefit_at_85"] == curve["net_benefit_at_95"] == 0.0


def test_nobody_is_worth_contacting_when_the_incentive_exceeds_every_value_at_risk() -> None:
    rng = np.random.default_rng(0)
    probabilities, predicted_ltv = rng.uniform(0, 1, 500), rng.lognormal(4, 1, 500)
    costly = ContactEconomics(
        incentive_cost=float(ECONOMICS.value_at_risk(probabilities, predicted_ltv).max()),
        gross_margin=1.0,
        save_rate=1.0,
        retention_probability_floor=0.1,
    )

    assert not (costly.expected_value(probabilities, predicted_ltv) > 0).any()
    shares = [
        float((ContactEconomics(3.0, 0.3, rate, 0.1).expected_value(probabilities, predicted_ltv) > 0).mean())
        for rate in (0.05, 0.1, 0.2, 0.5, 1.0)
    ]
    assert shares == sorted(shares) and shares[0] < shares[-1]
