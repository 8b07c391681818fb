"""Frozen configs built by the dbt Python models from dbt vars (via YAML config)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

SegmentationAlgorithm = Literal["kmeans", "minibatch_kmeans", "gmm", "dbscan"]
EmbeddingMethod = Literal["pca", "umap"]
ChurnCandidate = Literal["logistic", "xgboost"]


# Shared by the churn classifier and the LTV regressor: shallow trees, slow
# learning and row/column subsampling suit a few thousand customers.
XGB_TREE_PARAMS: dict[str, float | int] = {
    "n_estimators": 300,
    "max_depth": 3,
    "learning_rate": 0.05,
    "subsample": 0.8,
    "colsample_bytree": 0.8,
    "min_child_weight": 5,
}


def parse_date(value: object) -> date:
    """dbt hands vars over as text; the default as_of_date comes as a date from SQL."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value).strip())


@dataclass(frozen=True)
class SegmentationConfig:
    algorithm: SegmentationAlgorithm = "kmeans"
    k_min: int = 4
    k_max: int = 8
    min_share: float = 0.02
    random_state: int = 42
    tracking_uri: str = "sqlite:///warehouse/mlflow.db"
    silhouette_sample: int = 5_000
    embedding_method: EmbeddingMethod = "pca"


@dataclass(frozen=True)
class LtvConfig:
    horizon_days: int = 90
    random_state: int = 42
    tracking_uri: str = "sqlite:///warehouse/mlflow.db"


@dataclass(frozen=True)
class ChurnConfig:
    horizon_days: int = 90
    candidates: tuple[ChurnCandidate, ...] = ("logistic", "xgboost")
    incentive_cost: float = 5.0
    gross_margin: float = 0.3
    ltv: LtvConfig = LtvConfig()
    random_state: int = 42
    tracking_uri: str = "sqlite:///warehouse/mlflow.db"
