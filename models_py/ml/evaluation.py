"""Metrics for churn (ranking, calibration, contact economics) and LTV (error, ranking, capture)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score


def classification_metrics(labels: np.ndarray, scores: np.ndarray, *, probabilistic: bool = True) -> dict[str, float]:
    """ROC-AUC and PR-AUC; Brier score and log loss too when scores are probabilities."""
    metrics = {
        "roc_auc": float(roc_auc_score(labels, scores)),
        "pr_auc": float(average_precision_score(labels, scores)),
    }
    if probabilistic:
        clipped = np.clip(scores, 1e-6, 1 - 1e-6)
        metrics["brier"] = float(brier_score_loss(labels, clipped))
        metrics["log_loss"] = float(log_loss(labels, clipped, labels=[0, 1]))
    return metrics


def reliability_table(labels: np.ndarray, probabilities: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Calibration: per probability bin, customers, mean predicted and observed churn rate."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.digitize(probabilities, edges[1:-1]), 0, bins - 1)
    frame = pd.DataFrame({"bin": index, "predicted": probabilities, "observed": labels.astype(float)})
    table = frame.groupby("bin").agg(
        customers=("observed", "size"), mean_predicted=("predicted", "mean"), observed_rate=("observed", "mean")
    )
    table = table.reindex(range(bins))
    table["customers"] = table["customers"].fillna(0).astype(int)
    table["bin_lower"] = edges[:-1]
    table["bin_upper"] = edges[1:]
    return table.reset_index()


def expected_calibration_error(labels: np.ndarray, probabilities: np.ndarray, bins: int = 10) -> float:
    """Customer-weighted mean |observed rate - mean predicted| over the reliability table's bins."""
    table = reliability_table(labels, probabilities, bins)
    filled = table[table["customers"] > 0]
    gaps = (filled["observed_rate"] - filled["mean_predicted"]).abs()
    return float((gaps * filled["customers"]).sum() / filled["customers"].sum())


def top_decile_capture(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Share of actual future revenue from the 10% of customers predicted highest."""
    total = float(actual.sum())
    if total <= 0:
        return 0.0
    top = max(1, int(np.ceil(len(predicted) * 0.1)))
    order = np.argsort(-predicted, kind="stable")[:top]
    return float(actual[order].sum() / total)


def regression_metrics(actual: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    rho = spearmanr(actual, predicted).statistic
    return {
        "mae": float(np.mean(np.abs(actual - predicted))),
        "rmse": float(np.sqrt(np.mean((actual - predicted) ** 2))),
        "spearman": float(rho) if np.isfinite(rho) else 0.0,
        "top_decile_capture": top_decile_capture(actual, predicted),
    }


@dataclass(frozen=True)
class ContactEconomics:
    """What contacting a customer costs and is expected to save (the SQL of reporting.customer_scores).

    value at risk = predicted LTV / (1 - p), 1 - p floored at ``retention_probability_floor``: predicted
    LTV averages over churning, so this is the spend expected if the customer stays. Contacting saves
    p x save_rate x value at risk x gross_margin in expectation and costs the incentive.
    """

    incentive_cost: float
    gross_margin: float
    save_rate: float
    retention_probability_floor: float

    def value_at_risk(self, probabilities: np.ndarray, predicted_ltv: np.ndarray) -> np.ndarray:
        return np.asarray(predicted_ltv / np.maximum(1 - probabilities, self.retention_probability_floor))

    def expected_value(self, probabilities: np.ndarray, predicted_ltv: np.ndarray) -> np.ndarray:
        """Expected margin saved minus the incentive, per customer: positive means worth contacting."""
        saved = probabilities * self.save_rate * self.value_at_risk(probabilities, predicted_ltv) * self.gross_margin
        return np.asarray(saved - self.incentive_cost)

    def realised_net_benefit(self, churned: np.ndarray, contacted: np.ndarray, value_at_risk: np.ndarray) -> float:
        """What contacting ``contacted`` earned once outcomes are known: each contacted churner is kept with
        probability save_rate (their value at risk x margin), every contact costs the incentive."""
        saved = churned.astype(bool) & contacted
        return float(
            (value_at_risk[saved] * self.save_rate * self.gross_margin).sum() - self.incentive_cost * contacted.sum()
        )


def contact_policies(
    churned: np.ndarray, probabilities: np.ndarray, predicted_ltv: np.ndarray, economics: ContactEconomics
) -> tuple[float, dict[str, float]]:
    """Realised net benefit on validation of the expected-value rule (contact when positive), of the best
    single churn-probability threshold under the same economics (returned), and of contacting everybody."""
    value_at_risk = economics.value_at_risk(probabilities, predicted_ltv)
    grid = np.round(np.linspace(0.01, 0.99, 99), 2)
    benefits = [
        economics.realised_net_benefit(churned, probabilities >= threshold, value_at_risk) for threshold in grid
    ]
    best = int(np.argmax(benefits))
    worth = economics.expected_value(probabilities, predicted_ltv) > 0
    everybody = np.ones_like(churned, dtype=bool)
    # The curve behind the best threshold (the dashboard plots it): net_benefit_at_01 .. _at_99.
    curve = {
        f"net_benefit_at_{round(threshold * 100):02d}": benefit
        for threshold, benefit in zip(grid, benefits, strict=True)
    }
    return float(grid[best]), {
        "net_benefit_expected_value_rule": economics.realised_net_benefit(churned, worth, value_at_risk),
        "contact_share_expected_value_rule": float(worth.mean()),
        "net_benefit_best_threshold": benefits[best],
        "net_benefit_contact_everybody": economics.realised_net_benefit(churned, everybody, value_at_risk),
        **curve,
    }
