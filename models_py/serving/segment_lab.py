"""Compare segmentation algorithms on a sample of customers, with the production model's own code.

Each candidate runs the functions the build's segmentation uses (the same
scaled space, clustering and DBSCAN noise rule), so a setting chosen here and
saved as dbt vars gives the next build the segments seen here, up to the
sample. Scores are exact on the sample: silhouette over every sampled customer
(DBSCAN noise left out, as in the build) and Davies-Bouldin.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA

from models_py.errors import RetailError
from models_py.ml.config import SegmentationAlgorithm, SegmentationConfig, SegmentScaling
from models_py.ml.features import CUSTOMER_ID
from models_py.ml.segmentation import (
    NOISE_SEGMENT,
    SEGMENT_FEATURES,
    cluster_space,
    dbscan_labels,
    scaled_space,
    segmentation_quality,
)

ALGORITHMS: tuple[SegmentationAlgorithm, ...] = ("kmeans", "gmm", "dbscan", "minibatch_kmeans")
K_RANGE = (2, 12)


@dataclass(frozen=True)
class Candidate:
    algorithm: SegmentationAlgorithm
    k: int = 5  # ignored by DBSCAN
    scaling: SegmentScaling = "log_robust"
    eps: float | None = None  # DBSCAN; None: from the data, as the build does
    min_samples: int | None = None  # DBSCAN; None: from segment_min_share, as the build does

    def config(self, random_state: int, min_share: float) -> SegmentationConfig:
        return SegmentationConfig(
            algorithm=self.algorithm,
            k_min=self.k,
            k_max=self.k,
            min_share=min_share,
            random_state=random_state,
            scaling=self.scaling,
            dbscan_eps=self.eps,
            dbscan_min_samples=self.min_samples,
        )

    def build_vars(self) -> dict[str, object]:
        """The dbt vars that make the next build fit this candidate (k fixed: k_min = k_max)."""
        dbscan = self.algorithm == "dbscan"
        return {
            "segmentation_algorithm": self.algorithm,
            "segment_k_min": None if dbscan else self.k,
            "segment_k_max": None if dbscan else self.k,
            "segment_scaling": self.scaling,
            "dbscan_eps": self.eps if dbscan else None,
            "dbscan_min_samples": self.min_samples if dbscan else None,
        }


@dataclass(frozen=True)
class CandidateResult:
    candidate: Candidate
    labels: np.ndarray  # cluster per sampled customer, -1 for DBSCAN noise
    silhouette: float | None  # None with fewer than two clusters
    davies_bouldin: float | None
    clusters: int
    noise: int
    seconds: float

    def summary(self) -> dict[str, object]:
        sizes = pd.Series(self.labels[self.labels != NOISE_SEGMENT]).value_counts()
        return {
            "algorithm": self.candidate.algorithm,
            "k": None if self.candidate.algorithm == "dbscan" else self.candidate.k,
            "scaling": self.candidate.scaling,
            "clusters": self.clusters,
            "noise customers": self.noise,
            "smallest cluster": int(sizes.min()) if not sizes.empty else 0,
            "silhouette": self.silhouette,
            "davies_bouldin": self.davies_bouldin,
            "seconds": round(self.seconds, 2),
        }


def evaluate(
    features: pd.DataFrame, candidate: Candidate, *, random_state: int = 42, min_share: float = 0.02
) -> CandidateResult:
    """Fit ``candidate`` on ``features`` (customer_features rows) and score it."""
    missing = [name for name in (CUSTOMER_ID, *SEGMENT_FEATURES) if name not in features.columns]
    if missing:
        raise RetailError(f"the sample lacks the segment features {', '.join(missing)}")
    if candidate.algorithm != "dbscan" and not K_RANGE[0] <= candidate.k <= min(K_RANGE[1], len(features) - 1):
        raise RetailError(f"k must be between {K_RANGE[0]} and {min(K_RANGE[1], len(features) - 1)}")
    config = replace(candidate.config(random_state, min_share), silhouette_sample=len(features))
    started = time.perf_counter()
    space = scaled_space(features, candidate.scaling)
    labels = (
        dbscan_labels(space, config)
        if candidate.algorithm == "dbscan"
        else cluster_space(space, candidate.k, config)[0]
    )
    seconds = time.perf_counter() - started
    clusters = len(np.unique(labels[labels != NOISE_SEGMENT]))
    quality = segmentation_quality(space, labels, config) if clusters >= 2 else None
    return CandidateResult(
        candidate=candidate,
        labels=labels,
        silhouette=quality["silhouette"] if quality else None,
        davies_bouldin=quality["davies_bouldin"] if quality else None,
        clusters=clusters,
        noise=int((labels == NOISE_SEGMENT).sum()),
        seconds=seconds,
    )


def candidate_map(features: pd.DataFrame, result: CandidateResult) -> pd.DataFrame:
    """2-D PCA of the candidate's space, one row per sampled customer, with its cluster ("noise" apart)."""
    space = scaled_space(features, result.candidate.scaling)
    coordinates = PCA(n_components=2, random_state=0).fit_transform(space)
    return pd.DataFrame(
        {
            CUSTOMER_ID: features[CUSTOMER_ID].to_numpy(),
            "x": coordinates[:, 0],
            "y": coordinates[:, 1],
            "cluster": ["noise" if label == NOISE_SEGMENT else f"cluster {int(label) + 1}" for label in result.labels],
        }
    )
