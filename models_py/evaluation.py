"""Metrics for churn (ranking, calibration, business cost) and LTV (error, ranking, capture)."""

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
class CostModel:
    """Contacting a customer costs the incentive; a missed churner loses value x margin."""

    incentive_cost: float
    gross_margin: float

    def cost(self, churned: np.ndarray, contacted: np.ndarray, value: np.ndarray) -> float:
        missed = churned.astype(bool) & ~contacted
        return float(self.incentive_cost * contacted.sum() + (value[missed] * self.gross_margin).sum())


def best_threshold(
    churned: np.ndarray, probabilities: np.ndarray, value: np.ndarray, cost_model: CostModel
) -> tuple[float, dict[str, float]]:
    """The contact threshold minimising expected cost, and costs of the reference policies."""
    grid = np.round(np.linspace(0.01, 0.99, 99), 2)
    costs = [cost_model.cost(churned, probabilities >= threshold, value) for threshold in grid]
    best = int(np.argmin(costs))
    reference = {
        "business_cost": costs[best],
        "business_cost_at_0_5": cost_model.cost(churned, probabilities >= 0.5, value),
        "business_cost_contact_nobody": cost_model.cost(churned, np.zeros_like(churned, dtype=bool), value),
        "business_cost_contact_everybody": cost_model.cost(churned, np.ones_like(churned, dtype=bool), value),
    }
    return float(grid[best]), reference
