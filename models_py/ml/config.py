"""Frozen configs built by the dbt Python models from dbt vars (via YAML config)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any, Literal, cast

from models_py.ml.retraining import RetrainPolicy, parse_policy

SegmentationAlgorithm = Literal["kmeans", "minibatch_kmeans", "gmm", "dbscan"]
EmbeddingMethod = Literal["pca", "umap"]
SegmentScaling = Literal["log_robust", "log_standard", "standard"]
SEGMENT_SCALINGS: tuple[SegmentScaling, ...] = ("log_robust", "log_standard", "standard")
ChurnCandidate = Literal["logistic", "xgboost", "ensemble"]


# Relative to the working directory (the repo root for dbt); `retail` passes
# an absolute URI beside the warehouse instead.
DEFAULT_TRACKING_URI = "sqlite:///warehouse/mlflow.db"

# Native threads per model when no build sets them (dbt var ml_threads): one. A lone XGBoost
# fit on two cores takes 0.55x the time with both (the same trees), but dbt runs two models at
# once and the tests three workers: with all cores, OpenMP's spin-waiting made the model unit
# tests 2.5x slower (21 s -> 52 s).
DEFAULT_THREADS = 1
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
    # k is chosen on at most this many customers (0: all); the chosen k is fitted on all.
    search_sample: int = 10_000
    embedding_method: EmbeddingMethod = "pca"
    # 1: every retraining refits from scratch. K > 1 (replay): between full
    # refits every K builds, MiniBatchKMeans partial_fit updates the centroids.
    refit_every: int = 1
    scaling: SegmentScaling = "log_robust"
    # DBSCAN: None = from the data (eps: 90th percentile of the 10th-neighbour distance).
    dbscan_eps: float | None = None
    dbscan_min_samples: int | None = None


@dataclass(frozen=True)
class LtvConfig:
    horizon_days: int = 90
    customers_per_snapshot: int = 0  # training sample cap per snapshot; 0: all
    random_state: int = 42
    tracking_uri: str = DEFAULT_TRACKING_URI
    threads: int = DEFAULT_THREADS  # XGBoost's


@dataclass(frozen=True)
class ChurnConfig:
    horizon_days: int = 90
    candidates: tuple[ChurnCandidate, ...] = ("logistic", "xgboost", "ensemble")
    incentive_cost: float = 5.0
    gross_margin: float = 0.3
    save_rate: float = 0.2
    retention_probability_floor: float = 0.1
    customers_per_snapshot: int = 0  # training sample cap per snapshot; 0: all
    ltv: LtvConfig = LtvConfig()
    random_state: int = 42
    tracking_uri: str = DEFAULT_TRACKING_URI
    threads: int = DEFAULT_THREADS  # XGBoost's


# Settings that change how a model is run, not what it learns: no retraining for them.
_NOT_MODELLING = frozenset({"tracking_uri", "embedding_method", "silhouette_sample", "refit_every", "threads"})


def fingerprint(config: Any, *extra: object) -> str:
    """Short hash of a config's modelling fields and ``extra`` (e.g. the feature list).

    A registered model records it; a champion whose fingerprint differs from the
    current config was trained for other settings and is retrained.
    """

    def modelling(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: modelling(item) for key, item in value.items() if key not in _NOT_MODELLING}
        return value

    payload = json.dumps([modelling(asdict(config)), extra], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class ModelConfigs:
    """Every ML setting of a build, from the dbt vars (set for all ml models in dbt_project.yml)."""

    segmentation: SegmentationConfig
    churn: ChurnConfig
    ltv: LtvConfig
    retrain_policy: RetrainPolicy = "always"
    retrain_max_age_days: int = 90
    force_retrain: bool = False
    threads: int = DEFAULT_THREADS  # native threads per model (``threads.limit_native_threads``)

    def fingerprint(self, family: str) -> str:
        from models_py.ml.bgnbd import PURCHASE_FEATURES
        from models_py.ml.features import MODEL_FEATURES

        if family == "segmentation":
            from models_py.ml.segmentation import PICKLED_REFERENCES, SEGMENT_FEATURES

            return fingerprint(self.segmentation, SEGMENT_FEATURES, PICKLED_REFERENCES)
        return fingerprint(self.churn if family == "churn" else self.ltv, MODEL_FEATURES, PURCHASE_FEATURES)


def _optional(value: Any, kind: type[float] | type[int]) -> Any:
    return None if value is None or str(value).strip().lower() in {"", "none", "null"} else kind(value)


def _choice(value: Any, allowed: tuple[SegmentScaling, ...], name: str) -> SegmentScaling:
    if value not in allowed:
        raise ValueError(f"dbt var {name} must be one of {', '.join(allowed)}; got {value!r}")
    return cast(SegmentScaling, value)


def _flag(value: Any) -> bool:
    return str(value).strip().lower() in {"true", "1", "yes"}


def model_configs(settings_json: str) -> ModelConfigs:
    """Build the configs from the ``ml_settings`` JSON the ml models get from the dbt vars."""
    settings = json.loads(settings_json)
    get = settings.__getitem__
    random_state = int(get("random_state"))
    tracking_uri = str(get("mlflow_tracking_uri"))
    per_snapshot = int(get("training_customers_per_snapshot"))
    threads = int(get("ml_threads"))
    if threads < 1:
        raise ValueError(f"dbt var ml_threads must be 1 or more; got {threads}")
    ltv = LtvConfig(
        horizon_days=int(get("ltv_horizon_days")),
        customers_per_snapshot=per_snapshot,
        random_state=random_state,
        tracking_uri=tracking_uri,
        threads=threads,
    )
    return ModelConfigs(
        segmentation=SegmentationConfig(
            algorithm=cast(SegmentationAlgorithm, get("segmentation_algorithm")),
            k_min=int(get("segment_k_min")),
            k_max=int(get("segment_k_max")),
            search_sample=int(get("segment_search_sample")),
            min_share=float(get("segment_min_share")),
            random_state=random_state,
            tracking_uri=tracking_uri,
            embedding_method=cast(EmbeddingMethod, get("embedding_method")),
            refit_every=int(get("segment_refit_every")),
            scaling=_choice(get("segment_scaling"), SEGMENT_SCALINGS, "segment_scaling"),
            dbscan_eps=_optional(get("dbscan_eps"), float),
            dbscan_min_samples=_optional(get("dbscan_min_samples"), int),
        ),
        churn=ChurnConfig(
            horizon_days=int(get("churn_horizon_days")),
            candidates=cast(tuple[ChurnCandidate, ...], tuple(str(get("churn_candidates")).split(","))),
            incentive_cost=float(get("retention_incentive_cost")),
            gross_margin=float(get("gross_margin")),
            save_rate=float(get("save_rate")),
            retention_probability_floor=float(get("retention_probability_floor")),
            customers_per_snapshot=per_snapshot,
            ltv=ltv,
            random_state=random_state,
            tracking_uri=tracking_uri,
            threads=threads,
        ),
        ltv=ltv,
        retrain_policy=parse_policy(str(get("retrain_policy"))),
        retrain_max_age_days=int(get("retrain_max_age_days")),
        force_retrain=_flag(get("retrain")),
        threads=threads,
    )
