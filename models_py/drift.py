"""Reference implementations of the drift statistics computed in SQL (macro drift_statistics)."""

from __future__ import annotations

import numpy as np


def quantile_bin_shares(reference: np.ndarray, current: np.ndarray, bins: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Shares of both samples in bins cut at the reference's quantiles (bin = edges <= value).

    Edges are rounded to 9 decimals, as in SQL: engines interpolate quantiles
    differently in the last bit, which would move values lying on an edge.
    """
    edges = np.unique(np.round(np.quantile(reference, np.arange(1, bins) / bins), 9))
    reference_share = np.bincount(np.searchsorted(edges, reference, side="right"), minlength=len(edges) + 1)
    current_share = np.bincount(np.searchsorted(edges, current, side="right"), minlength=len(edges) + 1)
    return reference_share / len(reference), current_share / len(current)


def psi(reference: np.ndarray, current: np.ndarray, bins: int = 10, epsilon: float = 1e-4) -> float:
    """Population Stability Index with empty bins floored at ``epsilon``."""
    expected, actual = quantile_bin_shares(reference, current, bins)
    expected, actual = np.maximum(expected, epsilon), np.maximum(actual, epsilon)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def ks(reference: np.ndarray, current: np.ndarray) -> float:
    """Two-sample Kolmogorov-Smirnov statistic: the largest gap between the empirical CDFs."""
    values = np.unique(np.concatenate([reference, current]))
    reference_cdf = np.searchsorted(np.sort(reference), values, side="right") / len(reference)
    current_cdf = np.searchsorted(np.sort(current), values, side="right") / len(current)
    return float(np.max(np.abs(reference_cdf - current_cdf)))
