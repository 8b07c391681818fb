"""BG/NBD (Fader, Hardie & Lee 2005) and Gamma-Gamma spend models: the classic baselines.

Fitted by maximum likelihood on a snapshot's own history (no labels), in weeks.
Inputs per customer: repeat purchases x = frequency - 1, recency t_x =
purchase_span_days, age T = tenure_days, and the average order value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import betaln, gammaln, hyp2f1

_DAYS_PER_UNIT = 7.0


def _history(features: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = features["frequency"].to_numpy(dtype=float) - 1
    t_x = features["purchase_span_days"].to_numpy(dtype=float) / _DAYS_PER_UNIT
    age = features["tenure_days"].to_numpy(dtype=float) / _DAYS_PER_UNIT
    return x, t_x, age


@dataclass(frozen=True)
class BgNbd:
    r: float
    alpha: float
    a: float
    b: float

    @classmethod
    def fit(cls, features: pd.DataFrame) -> BgNbd:
        x, t_x, age = _history(features)

        def negative_log_likelihood(log_params: np.ndarray) -> float:
            r, alpha, a, b = np.exp(log_params)
            part_1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
            part_2 = betaln(a, b + x) - betaln(a, b)
            part_3 = -(r + x) * np.log(alpha + age)
            with np.errstate(divide="ignore"):
                part_4 = np.where(
                    x > 0,
                    np.log(a) - np.log(np.maximum(b + x - 1, 1e-12)) - (r + x) * np.log(alpha + t_x),
                    -np.inf,
                )
            return float(-(part_1 + part_2 + np.logaddexp(part_3, part_4)).sum())

        result = minimize(
            negative_log_likelihood,
            x0=np.log([0.5, 5.0, 0.5, 2.0]),
            method="Nelder-Mead",
            options={"maxiter": 4000, "xatol": 1e-6, "fatol": 1e-6},
        )
        return cls(*np.exp(result.x))

    def _alive_odds(self, x: np.ndarray, t_x: np.ndarray, age: np.ndarray) -> np.ndarray:
        ratio = (self.alpha + age) / (self.alpha + t_x)
        return np.where(x > 0, self.a / np.maximum(self.b + x - 1, 1e-12) * ratio ** (self.r + x), 0.0)

    def probability_alive(self, features: pd.DataFrame) -> np.ndarray:
        x, t_x, age = _history(features)
        return np.asarray(1.0 / (1.0 + self._alive_odds(x, t_x, age)))

    def expected_days_to_next_purchase(self, features: pd.DataFrame) -> np.ndarray:
        """Expected days until the next purchase of a customer still active: E[1 / lambda] under the
        posterior Gamma(r + x, alpha + T) of their purchase rate; NaN where r + x <= 1 (infinite mean)."""
        x, _, age = _history(features)
        shape = self.r + x
        with np.errstate(divide="ignore", invalid="ignore"):
            weeks = np.where(shape > 1, (self.alpha + age) / (shape - 1), np.nan)
        return np.asarray(weeks * _DAYS_PER_UNIT)

    def expected_purchases(self, features: pd.DataFrame, horizon_days: float) -> np.ndarray:
        x, t_x, age = _history(features)
        t = horizon_days / _DAYS_PER_UNIT
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        hyper = hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + age + t))
        numerator = (a + b + x - 1) / (a - 1) * (1 - ((alpha + age) / (alpha + age + t)) ** (r + x) * hyper)
        return np.asarray(np.clip(numerator / (1 + self._alive_odds(x, t_x, age)), 0, None))


@dataclass(frozen=True)
class GammaGamma:
    p: float
    q: float
    gamma: float

    @classmethod
    def fit(cls, features: pd.DataFrame) -> GammaGamma:
        frequency = features["frequency"].to_numpy(dtype=float)
        value = features["avg_order_value"].to_numpy(dtype=float)
        keep = (frequency > 0) & (value > 0)
        x, m = frequency[keep], value[keep]

        def negative_log_likelihood(log_params: np.ndarray) -> float:
            p, q, gamma = np.exp(log_params)
            ll = (
                gammaln(p * x + q)
                - gammaln(p * x)
                - gammaln(q)
                + q * np.log(gamma)
                + (p * x - 1) * np.log(m)
                + p * x * np.log(x)
                - (p * x + q) * np.log(x * m + gamma)
            )
            return float(-ll.sum())

        result = minimize(
            negative_log_likelihood,
            x0=np.log([2.0, 3.0, float(np.median(m))]),
            method="Nelder-Mead",
            options={"maxiter": 4000},
        )
        return cls(*np.exp(result.x))

    def expected_order_value(self, features: pd.DataFrame) -> np.ndarray:
        x = features["frequency"].to_numpy(dtype=float)
        m = features["avg_order_value"].to_numpy(dtype=float)
        return np.asarray((self.gamma + m * x) * self.p / (self.p * x + self.q - 1))
