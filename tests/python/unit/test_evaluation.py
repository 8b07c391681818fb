from __future__ import annotations

import numpy as np
import pytest

from models_py.evaluation import (
    CostModel,
    best_threshold,
    classification_metrics,
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


def test_best_threshold_minimises_cost() -> None:
    churned = np.array([1, 1, 0, 0])
    probabilities = np.array([0.9, 0.6, 0.3, 0.1])
    value = np.array([100.0, 100.0, 100.0, 100.0])
    cost = CostModel(incentive_cost=10, gross_margin=0.5)

    threshold, costs = best_threshold(churned, probabilities, value, cost)

    # Contacting the two churners (cost 20) beats missing them (100) or contacting all (40).
    assert 0.3 < threshold <= 0.6
    assert costs["business_cost"] == 20
    assert costs["business_cost_contact_nobody"] == 100
    assert costs["business_cost_contact_everybody"] == 40
