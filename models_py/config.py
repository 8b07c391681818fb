"""Frozen configs built by the dbt Python models from dbt vars (via YAML config)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SegmentationAlgorithm = Literal["kmeans", "minibatch_kmeans", "gmm", "dbscan"]
EmbeddingMethod = Literal["pca", "umap"]
ChurnCandidate = Literal["logistic", "xgboost"]


# Relative to the working directory (the repo root for dbt); `retail` passes
# an absolute URI beside the warehouse instead.
DEFAULT_TRACKING_URI = "sqlite:///warehouse/mlflow.db"

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


@dataclass(frozen=True)
class SegmentationConfig:
    algorithm: SegmentationAlgorithm = "kmeans"
    k_min: int = 4
    k_max: int = 8
    min_share: float = 0.02
    random_state: int = 42
    tracking_uri: str = DEFAULT_TRACKING_URI
    silhouette_sample: int = 5_000
    embedding_method: EmbeddingMethod = "pca"


@dataclass(frozen=True)
class LtvConfig:
    horizon_days: int = 90
    random_state: int = 42
    tracking_uri: str = DEFAULT_TRACKING_URI


@dataclass(frozen=True)
class ChurnConfig:
    horizon_days: int = 90
    candidates: tuple[ChurnCandidate, ...] = ("logistic", "xgboost")
    incentive_cost: float = 5.0
    gross_margin: float = 0.3
    ltv: LtvConfig = LtvConfig()
    random_state: int = 42
    tracking_uri: str = DEFAULT_TRACKING_URI
