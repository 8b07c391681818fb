"""BG/NBD (Fader, Hardie & Lee 2005) and Gamma-Gamma spend models: the classic baselines.

Fitted by maximum likelihood on a snapshot's own history (no labels), in weeks.
Inputs per customer: repeat purchases x = frequency - 1, recency t_x =
purchase_span_days, age T = tenure_days, and the average order value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import betaln, digamma, gammaln, hyp2f1

from models_py.ml.shared_fits import SHARED_FITS, fit_key

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
        # The likelihood depends on a customer only through (x, t_x, T), and thousands of
        # customers share each triple: summing each distinct triple once, weighted by
        # how many have it, gives the same likelihood at a twentieth of the cost.
        triples, counts = np.unique(np.column_stack(_history(features)), axis=0, return_counts=True)
        x, t_x, age = triples.T

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
            return float(-(counts * (part_1 + part_2 + np.logaddexp(part_3, part_4))).sum())

        # L-BFGS-B in log space, bounded: where nobody seems to drop out, a and b run off
        # to infinity together and Nelder-Mead spent its 4,000 iterations (5 s) chasing them.
        result = minimize(
            negative_log_likelihood,
            x0=np.log([0.5, 5.0, 0.5, 2.0]),
            method="L-BFGS-B",
            bounds=[(-12.0, 12.0)] * 4,
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

        def negative_log_likelihood(log_params: np.ndarray) -> tuple[float, np.ndarray]:
            p, q, gamma = np.exp(log_params)
            shape, scale = p * x + q, x * m + gamma
            ll = (
                gammaln(shape)
                - gammaln(p * x)
                - gammaln(q)
                + q * np.log(gamma)
                + (p * x - 1) * np.log(m)
                + p * x * np.log(x)
                - shape * np.log(scale)
            )
            # The analytic gradient (in log parameters): Nelder-Mead without one took
            # hundreds of likelihood evaluations per fit.
            common = digamma(shape) - np.log(scale)
            gradient = np.array(
                [
                    p * (x * (common - digamma(p * x) + np.log(m) + np.log(x))).sum(),
                    q * (common - digamma(q) + np.log(gamma)).sum(),
                    gamma * (q / gamma - shape / scale).sum(),
                ]
            )
            return float(-ll.sum()), -gradient

        result = minimize(
            negative_log_likelihood,
            x0=np.log([2.0, 3.0, float(np.median(m))]),
            jac=True,
            method="L-BFGS-B",
            bounds=[(-12.0, 12.0), (-12.0, 12.0), (-12.0, 25.0)],
        )
        return cls(*np.exp(result.x))

    def expected_order_value(self, features: pd.DataFrame) -> np.ndarray:
        x = features["frequency"].to_numpy(dtype=float)
        m = features["avg_order_value"].to_numpy(dtype=float)
        return np.asarray((self.gamma + m * x) * self.p / (self.p * x + self.q - 1))


# Columns PurchaseModels.features adds: the classic models' view of a customer, as inputs to churn and LTV.
PURCHASE_FEATURES = (
    "bgnbd_probability_alive",
    "bgnbd_expected_orders",
    "gamma_gamma_order_value",
    "bgnbd_expected_value",
)
# Four and three parameters: 20,000 customers pin them down; more only costs time at scale.
FIT_SAMPLE = 20_000


@dataclass(frozen=True)
class PurchaseModels:
    """BG/NBD and Gamma-Gamma fitted on one population (a snapshot, or the customers at as_of_date).

    Fitted without labels, so a training snapshot's own fit leaks nothing; a
    registered churn or LTV model keeps the fit of the population it scored
    (``params``), so scoring later (champion, API) computes the same features.
    """

    bgnbd: BgNbd
    gamma_gamma: GammaGamma
    horizon_days: int

    @classmethod
    def fit(cls, features: pd.DataFrame, horizon_days: int, random_state: int = 0) -> PurchaseModels:
        sample = features
        if len(features) > FIT_SAMPLE:
            sample = features.sample(FIT_SAMPLE, random_state=random_state)
        return cls(*_fit_both(sample), horizon_days)

    def features(self, frame: pd.DataFrame) -> pd.DataFrame:
        """PURCHASE_FEATURES per row of ``frame`` (frequency, purchase_span_days, tenure_days, avg_order_value)."""
        expected_orders = self.bgnbd.expected_purchases(frame, self.horizon_days)
        with np.errstate(invalid="ignore", divide="ignore"):
            order_value = np.nan_to_num(self.gamma_gamma.expected_order_value(frame), nan=0.0)
        return pd.DataFrame(
            {
                "bgnbd_probability_alive": self.bgnbd.probability_alive(frame),
                "bgnbd_expected_orders": expected_orders,
                "gamma_gamma_order_value": np.clip(order_value, 0, None),
                "bgnbd_expected_value": expected_orders * np.clip(order_value, 0, None),
            },
            index=frame.index,
        )

    def params(self) -> dict[str, float]:
        """The fitted parameters, named for an MLflow run's params (``from_params`` reads them back)."""
        return {
            **{f"purchase_bgnbd_{name}": value for name, value in asdict(self.bgnbd).items()},
            **{f"purchase_gamma_gamma_{name}": value for name, value in asdict(self.gamma_gamma).items()},
            "purchase_horizon_days": self.horizon_days,
        }

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> PurchaseModels:
        def read(prefix: str, names: tuple[str, ...]) -> list[float]:
            return [float(params[f"{prefix}{name}"]) for name in names]

        return cls(
            BgNbd(*read("purchase_bgnbd_", ("r", "alpha", "a", "b"))),
            GammaGamma(*read("purchase_gamma_gamma_", ("p", "q", "gamma"))),
            int(float(params["purchase_horizon_days"])),
        )


_HISTORY_COLUMNS = ["frequency", "purchase_span_days", "tenure_days", "avg_order_value"]


def _fit_both(sample: pd.DataFrame) -> tuple[BgNbd, GammaGamma]:
    """Both fits of a population, shared with the other ML models of the process (``shared_fits``)."""
    key = fit_key("purchase models", sample[_HISTORY_COLUMNS].to_numpy(dtype=float))
    return SHARED_FITS.get(key, lambda: (BgNbd.fit(sample), GammaGamma.fit(sample)))
