"""Customer segments from RFM-style features.

Inputs are log-transformed and robust-scaled, then each dimension is clipped to
its 1st-99th percentile before fitting, so a handful of extreme customers (one
Online Retail customer spent 280k) cannot pull a centroid of their own: they
join the nearest ordinary segment. k is chosen in [k_min, k_max] by silhouette
(on a sample for large data) among solutions whose smallest segment holds at
least ``min_share`` of customers; Davies-Bouldin is logged beside it. DBSCAN
noise points form segment -1 and are left out of the silhouette.

Ids are stable: segments are numbered by descending mean monetary value, and
when a previous run's centroids are given, new centroids are matched to them
(Hungarian assignment on centroid distance) and keep their ids.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist
from sklearn.cluster import DBSCAN, KMeans, MiniBatchKMeans
from sklearn.decomposition import PCA
from sklearn.metrics import davies_bouldin_score, silhouette_score
from sklearn.mixture import GaussianMixture
from sklearn.neighbors import NearestCentroid
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, RobustScaler, StandardScaler

from models_py.errors import RetailError
from models_py.ml.config import SegmentationConfig, SegmentScaling
from models_py.ml.features import CUSTOMER_ID, as_of_date_of, validate_frame
from models_py.ml.outputs import output_frame
from models_py.ml.retraining import RETRAIN, Champion, Decision
from models_py.ml.tracking import load_model, run_json, run_params, start_run

SEGMENT_FEATURES = ("recency_days", "frequency", "monetary", "avg_order_value", "unique_products", "tenure_days")
NOISE_SEGMENT = -1
SEGMENT_SCHEMA = {CUSTOMER_ID: "string", "segment_id": "int64", "segment_name": "string", "algorithm": "string"}
MIN_ROWS = 20
_CLIP_QUANTILES = (0.01, 0.99)


@dataclass(frozen=True)
class Segmentation:
    labels: np.ndarray  # segment id per customer, -1 for DBSCAN noise
    centroids: dict[int, list[float]]  # in the scaled, clipped space
    metrics: dict[str, float]
    k_search: pd.DataFrame
    cluster_ids: dict[int, int]  # the estimator's cluster index -> segment id
    estimator: Any = None  # the fitted clusterer (kept for MiniBatchKMeans partial_fit)

    @property
    def k(self) -> int:
        return len(self.centroids)


def segment_inputs(features: pd.DataFrame) -> pd.DataFrame:
    """The SEGMENT_FEATURES columns as floats: what the transform and the logged model take.

    unique_products is null for exports without products: as a constant 0 it
    adds no distance, so the segments rest on the features that exist.
    """
    return features.loc[:, list(SEGMENT_FEATURES)].astype("float64").fillna({"unique_products": 0.0})


def _log1p_non_negative(values: np.ndarray) -> np.ndarray:
    return np.asarray(np.log1p(np.clip(values, 0, None)))


# The registered model is cloudpickled and refers to this function by its module path: a model saved
# under another path cannot be loaded, so the path is part of the config fingerprint (retrain, not crash).
PICKLED_REFERENCES = (f"{_log1p_non_negative.__module__}.{_log1p_non_negative.__qualname__}",)


def space_transformer(features: pd.DataFrame, scaling: SegmentScaling = "log_robust") -> Pipeline:
    """Fitted scaling + per-dimension clipping: the space segments live in.

    ``log_robust`` (the default): log1p, then median and interquartile range.
    ``log_standard``: log1p, then mean and standard deviation. ``standard``:
    mean and standard deviation of the raw values, where a few big spenders
    stretch the monetary axis (kept to show why the logs matter).
    """
    raw = segment_inputs(features)
    steps: list[Any] = [] if scaling == "standard" else [FunctionTransformer(_log1p_non_negative)]
    steps.append(RobustScaler() if scaling == "log_robust" else StandardScaler())
    scaler = make_pipeline(*steps).fit(raw)
    low, high = np.quantile(scaler.transform(raw), _CLIP_QUANTILES, axis=0)
    clipping = FunctionTransformer(np.clip, kw_args={"a_min": low, "a_max": high})
    return make_pipeline(*[step for _, step in scaler.steps], clipping).fit(raw)


def scaled_space(features: pd.DataFrame, scaling: SegmentScaling = "log_robust") -> np.ndarray:
    return np.asarray(space_transformer(features, scaling).transform(segment_inputs(features)))


def assignment_model(features: pd.DataFrame, labels: np.ndarray, scaling: SegmentScaling = "log_robust") -> Pipeline:
    """Transform + nearest centroid: assigns any customer's features to a segment id."""
    transformer = space_transformer(features, scaling)
    return make_pipeline(*[step for _, step in transformer.steps], NearestCentroid()).fit(
        segment_inputs(features), labels
    )


def cluster_space(
    space: np.ndarray, k: int, config: SegmentationConfig, centers: np.ndarray | None = None
) -> tuple[np.ndarray, Any]:
    """Labels and model of ``k`` clusters; k-means starts from ``centers`` when given (one run)."""
    model: Any
    starts: dict[str, Any] = {"n_init": 10} if centers is None else {"init": centers, "n_init": 1}
    if config.algorithm == "kmeans":
        model = KMeans(n_clusters=k, random_state=config.random_state, **starts)
    elif config.algorithm == "minibatch_kmeans":
        model = MiniBatchKMeans(n_clusters=k, batch_size=2048, random_state=config.random_state, **starts)
    elif config.algorithm == "gmm":
        model = GaussianMixture(n_components=k, covariance_type="full", random_state=config.random_state)
    else:
        raise ValueError(config.algorithm)
    return np.asarray(model.fit(space).predict(space)), model


def dbscan_labels(space: np.ndarray, config: SegmentationConfig) -> np.ndarray:
    min_samples = config.dbscan_min_samples or max(5, int(config.min_share * len(space) / 4))
    eps = config.dbscan_eps
    if eps is None:
        # eps from the data: the 90th percentile of the distance to the 10th neighbour.
        from sklearn.neighbors import NearestNeighbors

        neighbours = min(10, len(space) - 1)
        distances, _ = NearestNeighbors(n_neighbors=neighbours + 1).fit(space).kneighbors(space)
        eps = float(np.quantile(distances[:, -1], 0.9))
    labels = np.asarray(DBSCAN(eps=eps, min_samples=min_samples).fit_predict(space))
    # Dense pockets below the minimum share are no segment to act on: they join the noise.
    clusters, sizes = np.unique(labels[labels != NOISE_SEGMENT], return_counts=True)
    small = clusters[sizes < config.min_share * len(space)]
    labels[np.isin(labels, small)] = NOISE_SEGMENT
    return labels


# Rows of the silhouette sample whose distances are held at once: 128 x 5,000 customers is 5 MB.
# The whole 5,000 x 5,000 matrix (200 MB) cost 0.05 s on warm memory but up to 2 s where the
# machine faulted fresh pages in slowly (seen in builds on this project's 2-core VM).
_DISTANCE_BLOCK_ROWS = 128


@dataclass(frozen=True)
class SilhouetteSample:
    """The customers silhouette is estimated on, drawn once for every k of a search: sklearn's
    ``silhouette_score(sample_size=..., random_state=...)`` draws the same rows for each k."""

    rows: np.ndarray
    points: np.ndarray

    @classmethod
    def of(cls, space: np.ndarray, config: SegmentationConfig) -> SilhouetteSample:
        # The draw of silhouette_score(sample_size, random_state): a permutation's first rows.
        rows = np.random.RandomState(config.random_state).permutation(len(space))[: config.silhouette_sample]
        return cls(rows, space[rows])

    def within(self, rows: np.ndarray) -> SilhouetteSample:
        """The same customers, for a space of which this sample's space is ``space[rows]``."""
        return SilhouetteSample(rows[self.rows], self.points)

    def silhouette(self, labels: np.ndarray) -> float:
        """Mean silhouette of the sampled customers under ``labels`` (one per row of the space).

        sklearn's definition: a is the mean distance to the rest of one's cluster, b the
        smallest mean distance to another cluster, s = (b - a) / max(a, b), 0 in a cluster of
        one. Distances are exact differences (scipy), a block of rows at a time, and summed per
        cluster by a product with the membership matrix.
        """
        clusters, codes = np.unique(labels[self.rows], return_inverse=True)
        if len(clusters) < 2:
            return -1.0
        count = len(codes)
        members = np.zeros((count, len(clusters)))
        members[np.arange(count), codes] = 1.0
        sums = np.empty_like(members)
        block = np.empty((min(_DISTANCE_BLOCK_ROWS, count), count))
        for start in range(0, count, _DISTANCE_BLOCK_ROWS):
            stop = min(start + _DISTANCE_BLOCK_ROWS, count)
            distances = block[: stop - start]
            cdist(self.points[start:stop], self.points, out=distances)
            sums[start:stop] = distances @ members
        sizes = members.sum(axis=0)
        own_size = sizes[codes]
        intra = sums[np.arange(count), codes] / np.maximum(own_size - 1, 1)
        means = sums / sizes
        means[np.arange(count), codes] = np.inf
        inter = means.min(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            scores = np.nan_to_num((inter - intra) / np.maximum(intra, inter))
        return float(np.where(own_size > 1, scores, 0.0).mean())


def segmentation_quality(
    space: np.ndarray, labels: np.ndarray, config: SegmentationConfig, sample: SilhouetteSample | None = None
) -> dict[str, float]:
    """Silhouette (on ``silhouette_sample`` customers), Davies-Bouldin and the smallest segment's share.

    ``sample``: ``SilhouetteSample.of(space, config)``, for labellings without DBSCAN noise.
    """
    assigned = labels != NOISE_SEGMENT
    clusters = np.unique(labels[assigned])
    if len(clusters) < 2:
        return {"silhouette": -1.0, "davies_bouldin": float("inf"), "min_share": 1.0}
    if sample is not None and assigned.all():
        silhouette = sample.silhouette(labels)
    else:
        size = min(config.silhouette_sample, int(assigned.sum()))
        silhouette = silhouette_score(
            space[assigned], labels[assigned], sample_size=size, random_state=config.random_state
        )
    shares = np.bincount(labels[assigned]) / len(labels)
    return {
        "silhouette": float(silhouette),
        "davies_bouldin": float(davies_bouldin_score(space[assigned], labels[assigned])),
        "min_share": float(shares[shares > 0].min()),
    }


def fit_segments(
    features: pd.DataFrame, config: SegmentationConfig, previous_centroids: dict[int, list[float]] | None = None
) -> Segmentation:
    space = scaled_space(features, config.scaling)
    estimator, final_sample = None, None
    if config.algorithm == "dbscan":
        raw = dbscan_labels(space, config)
        search = pd.DataFrame(
            [{"k": len(np.unique(raw[raw >= 0])), "customers": len(space), **segmentation_quality(space, raw, config)}]
        )
    else:
        searched_rows = search_rows(space, config)
        searched = space[searched_rows]
        silhouette_sample = SilhouetteSample.of(searched, config)
        rows, labelings, estimators = [], {}, {}
        for k in range(config.k_min, min(config.k_max, len(searched) - 1) + 1):
            labelings[k], estimators[k] = cluster_space(searched, k, config)
            quality = segmentation_quality(searched, labelings[k], config, silhouette_sample)
            rows.append({"k": k, "customers": len(searched), **quality})
        search = pd.DataFrame(rows)
        eligible = search[search["min_share"] >= config.min_share]
        k = int(
            (eligible if not eligible.empty else search)
            .sort_values(["silhouette", "k"], ascending=[False, True])
            .iloc[0]["k"]
        )
        raw, estimator = labelings[k], estimators[k]
        if len(searched) < len(space):
            raw, estimator = cluster_space(space, k, config, _centers(estimator))
        # The final labels are graded on the search's silhouette customers (a random sample of
        # everyone as well).
        final_sample = silhouette_sample.within(searched_rows)
    labels, centroids, cluster_ids = _stable_ids(space, raw, features, previous_centroids)
    metrics = segmentation_quality(space, labels, config, final_sample)
    return Segmentation(labels, centroids, metrics, search, cluster_ids, estimator)


def search_rows(space: np.ndarray, config: SegmentationConfig) -> np.ndarray:
    """The rows of the customers k is chosen on: all of them, or ``search_sample`` drawn at random (fixed seed).

    Each k is fitted ten times from different starts and scored by silhouette: on
    a few tens of thousands of customers that is most of a build. The chosen k is
    then fitted on everyone, starting from the sample's centres.
    """
    if config.search_sample <= 0 or len(space) <= config.search_sample:
        return np.arange(len(space))
    return np.sort(np.random.default_rng(config.random_state).choice(len(space), config.search_sample, replace=False))


def _centers(estimator: Any) -> np.ndarray | None:
    """A fitted model's cluster centres to start the fit on all customers from (k-means only)."""
    return getattr(estimator, "cluster_centers_", None)


def _stable_ids(
    space: np.ndarray, raw: np.ndarray, features: pd.DataFrame, previous: dict[int, list[float]] | None
) -> tuple[np.ndarray, dict[int, list[float]], dict[int, int]]:
    clusters = [int(c) for c in np.unique(raw) if c != NOISE_SEGMENT]
    centroids = {c: space[raw == c].mean(axis=0) for c in clusters}
    monetary = features["monetary"].astype(float).to_numpy()
    by_value = sorted(clusters, key=lambda c: (-monetary[raw == c].mean(), c))
    mapping = {c: index + 1 for index, c in enumerate(by_value)}
    if previous:
        old_ids = sorted(previous)
        cost = np.array([[np.linalg.norm(centroids[c] - np.asarray(previous[o])) for o in old_ids] for c in by_value])
        rows, cols = linear_sum_assignment(cost)
        mapping = {}
        for row, col in zip(rows, cols, strict=True):
            mapping[by_value[row]] = old_ids[col]
        next_id = max(old_ids) + 1
        for c in by_value:
            if c not in mapping:
                mapping[c], next_id = next_id, next_id + 1
    labels = np.array([mapping.get(int(c), NOISE_SEGMENT) for c in raw])
    return labels, {mapping[c]: centroids[c].round(6).tolist() for c in clusters}, mapping


# Words that tell apart segments given the same name, per profile dimension:
# (lowest, middle, highest) median among them.
_QUALIFIERS = {
    "monetary": ("low spend", "mid spend", "high spend"),
    "frequency": ("occasional", "regular", "frequent"),
    "recency_days": ("most recent", "fading", "longest gone"),
    "tenure_days": ("newest", "established", "longest standing"),
}


def name_segments(features: pd.DataFrame, labels: np.ndarray) -> dict[int, str]:
    """A readable, unique name per segment from its median profile relative to all customers.

    Ratios to the overall medians: recency r, monetary m, frequency f, tenure t.
    Recent (r <= 1): champions (m, f >= 1.5), new customers (t < 0.5), loyal
    (m >= 1 or f > 1), else promising. Lapsing (r > 1): big spenders at risk
    (m >= 1.5), hibernating (r > 2), else needs attention. Segments given the
    same name are told apart by the dimensions in which they differ most,
    e.g. "hibernating (low spend)" and "hibernating (high spend)".
    """
    columns = list(_QUALIFIERS)
    frame = features.loc[:, columns].astype(float).assign(segment_id=labels)
    overall = frame[columns].median().clip(lower=1e-9)
    medians = (frame.groupby("segment_id")[columns].median() / overall).to_dict("index")
    profiles = {int(str(key)): {str(name): float(value) for name, value in row.items()} for key, row in medians.items()}
    names = {segment_id: _base_name(segment_id, ratio) for segment_id, ratio in profiles.items()}
    for base in sorted(set(names.values())):
        alike = sorted(segment for segment, name in names.items() if name == base)
        if len(alike) > 1:
            for segment, words in _qualifiers(profiles, alike).items():
                names[segment] = f"{base} ({words})"
    return names


def _base_name(segment_id: int, ratio: dict[str, float]) -> str:
    if segment_id == NOISE_SEGMENT:
        return "outliers"
    if ratio["recency_days"] <= 1:
        if ratio["monetary"] >= 1.5 and ratio["frequency"] >= 1.5:
            return "champions"
        if ratio["tenure_days"] < 0.5:
            return "new customers"
        if ratio["monetary"] >= 1 or ratio["frequency"] > 1:
            return "loyal"
        return "promising"
    if ratio["monetary"] >= 1.5:
        return "big spenders at risk"
    if ratio["recency_days"] > 2:
        return "hibernating"
    return "needs attention"


def _qualifiers(profiles: dict[int, dict[str, float]], alike: list[int]) -> dict[int, str]:
    """Words telling apart segments with one name: their levels on the dimension in which their medians
    differ most, then on the next ones too until every segment reads differently."""
    spreads = {
        dimension: float(np.ptp([np.log(max(profiles[segment][dimension], 1e-9)) for segment in alike]))
        for dimension in _QUALIFIERS
    }
    ranked = sorted(_QUALIFIERS, key=lambda dimension: (-spreads[dimension], dimension))
    words: dict[int, list[str]] = {segment: [] for segment in alike}
    for dimension in ranked:
        order = sorted(alike, key=lambda segment: (profiles[segment][dimension], segment))
        low, middle, high = _QUALIFIERS[dimension]
        for position, segment in enumerate(order):
            words[segment].append(low if position == 0 else high if position == len(order) - 1 else middle)
        if len({tuple(value) for value in words.values()}) == len(alike):
            break
    return {segment: ", ".join(value) for segment, value in words.items()}


def segment_customers(
    features: pd.DataFrame,
    config: SegmentationConfig,
    decision: Decision = RETRAIN,
    champion: Champion | None = None,
    fingerprint: str = "",
) -> pd.DataFrame:
    """Segment every customer in ``marts.customer_features``: refit, update, or assign with the champion.

    Retraining refits from scratch, ids matched to the champion's centroids.
    Otherwise the champion assigns, except with ``refit_every`` > 1, where the
    champion's MiniBatchKMeans is updated by partial_fit on the customers who
    ordered since it was trained, and refitted from scratch every K builds.
    """
    if features.empty:
        return output_frame(SEGMENT_SCHEMA)
    validate_frame(
        features,
        name="customer_features",
        required=(CUSTOMER_ID, *SEGMENT_FEATURES),
        unique=[CUSTOMER_ID],
        min_rows=MIN_ROWS,
    )
    if config.refit_every > 1 and config.algorithm != "minibatch_kmeans":
        raise RetailError(
            f"segment_refit_every {config.refit_every} updates segments with partial_fit, which needs "
            f"segmentation_algorithm minibatch_kmeans (got {config.algorithm})"
        )
    features = features.sort_values(CUSTOMER_ID).reset_index(drop=True)
    if champion is not None and not decision.retrain:
        updates = int(run_params(config.tracking_uri, champion.run_id).get("updates_since_refit", "0")) + 1
        if config.refit_every == 1:
            return _assign_with_champion(features, champion, config)
        if updates < config.refit_every:
            return _update_champion(features, champion, config, updates, fingerprint)
        decision = Decision(True, True, f"full refit after {updates - 1} partial_fit updates")
    previous = run_json(config.tracking_uri, champion.run_id, "centroids") if champion else None
    previous_centroids = {int(key): value for key, value in previous.items()} if previous else None
    result = fit_segments(features, config, previous_centroids)
    assignment = assignment_model(features, result.labels, config.scaling)
    if config.algorithm != "dbscan":
        # Label with the very assignment model that is logged and later scores
        # as champion: a build on unchanged features then gives every customer
        # the same segment.
        result = replace(result, labels=np.asarray(assignment.predict(segment_inputs(features)), dtype=int))
    names = name_segments(features, result.labels)
    return _log_segments(
        features,
        config,
        result,
        names,
        decision,
        fingerprint,
        {
            "k_min": config.k_min,
            "k_max": config.k_max,
            "min_share": config.min_share,
            "k_search_customers": int(result.k_search["customers"].iloc[0]),
            "matched_previous_centroids": previous_centroids is not None,
            "update": "refit",
            "updates_since_refit": 0,
        },
        assignment=assignment,
    )


def _by_segment_json(tracking_uri: str, run_id: str, name: str) -> dict[int, Any]:
    """A by-segment JSON artifact of a run (names, cluster ids), keys back to int."""
    saved = run_json(tracking_uri, run_id, name) or {}
    return {int(key): value for key, value in saved.items()}


def segment_name(names: dict[int, str], label: int) -> str:
    return names.get(int(label), f"segment {int(label)}")


@dataclass(frozen=True)
class RegisteredSegmentation:
    """A registered segmentation version: its assignment model and its segment names."""

    assignment: Pipeline
    names: dict[int, str]

    def labels(self, features: pd.DataFrame) -> np.ndarray:
        """Segment id per row of ``features`` (the SEGMENT_FEATURES columns)."""
        return np.asarray(self.assignment.predict(segment_inputs(features)), dtype=int)


def load_registered(model: Champion, tracking_uri: str) -> RegisteredSegmentation:
    names = _by_segment_json(tracking_uri, model.run_id, "segment_names")
    return RegisteredSegmentation(load_model(model, "sklearn"), names)


def _assign_with_champion(features: pd.DataFrame, champion: Champion, config: SegmentationConfig) -> pd.DataFrame:
    registered = load_registered(champion, config.tracking_uri)
    labels = registered.labels(features)
    return _segments_frame(
        features, config, labels, registered.names, champion.run_id, champion.version, champion.as_of_date
    )


def _update_champion(
    features: pd.DataFrame, champion: Champion, config: SegmentationConfig, updates: int, fingerprint: str
) -> pd.DataFrame:
    """partial_fit the champion's MiniBatchKMeans on customers who ordered since it was trained."""
    clusterer = load_model(champion, "sklearn", artifact="clusterer")
    transform, estimator = clusterer[:-1], clusterer[-1]
    last_ordered = pd.to_datetime(features["last_ordered_at"])
    updated = features[last_ordered >= pd.Timestamp(champion.as_of_date)]
    if len(updated) >= estimator.n_clusters:
        estimator.partial_fit(np.asarray(transform.transform(segment_inputs(updated))))
    cluster_ids = _by_segment_json(config.tracking_uri, champion.run_id, "cluster_ids")
    space = np.asarray(transform.transform(segment_inputs(features)))
    labels = np.array([cluster_ids[int(c)] for c in estimator.predict(space)])
    centroids = {
        cluster_ids[index]: center.round(6).tolist() for index, center in enumerate(estimator.cluster_centers_)
    }
    result = Segmentation(
        labels, centroids, segmentation_quality(space, labels, config), pd.DataFrame(), cluster_ids, clusterer
    )
    names = _by_segment_json(config.tracking_uri, champion.run_id, "segment_names")
    decision = Decision(True, True, f"partial_fit update {updates} of {config.refit_every - 1} between full refits")
    return _log_segments(
        features,
        config,
        result,
        names,
        decision,
        fingerprint,
        {"update": "partial_fit", "updates_since_refit": updates, "updated_customers": len(updated)},
        transform=transform,
    )


def _log_segments(
    features: pd.DataFrame,
    config: SegmentationConfig,
    result: Segmentation,
    names: dict[int, str],
    decision: Decision,
    fingerprint: str,
    params: dict[str, object],
    transform: Pipeline | None = None,
    assignment: Pipeline | None = None,
) -> pd.DataFrame:
    """Log the run, register the version, return the segment table.

    ``assignment``: the model that produced the labels, logged as is; without
    it one is fitted to the labels.
    """
    as_of_date = as_of_date_of(features)
    with start_run(config.tracking_uri, "segmentation", f"segmentation {as_of_date}") as run:
        run.log_params(
            {
                "as_of_date": as_of_date,
                "algorithm": config.algorithm,
                "scaling": config.scaling,
                "k": result.k,
                "features": ",".join(SEGMENT_FEATURES),
                "customers": len(features),
                "retrain_reason": decision.reason,
                **params,
            }
        )
        run.log_metrics("fit", config.algorithm, result.metrics)
        for row in result.k_search.to_dict("records"):
            run.log_metrics(
                "k_search",
                f"k{int(row['k']):02d}",
                {metric: float(row[metric]) for metric in ("silhouette", "davies_bouldin", "min_share")},
            )
        run.log_json("centroids", {str(key): value for key, value in result.centroids.items()})
        run.log_json("segment_names", {str(key): value for key, value in names.items()})
        run.log_json("cluster_ids", {str(key): value for key, value in result.cluster_ids.items()})
        example = segment_inputs(features).head(50)
        run.log_model(assignment or assignment_model(features, result.labels, config.scaling), "sklearn", example)
        if isinstance(result.estimator, MiniBatchKMeans):
            clusterer = make_pipeline(
                *[step for _, step in (transform or space_transformer(features, config.scaling)).steps],
                result.estimator,
            )
            run.log_model(clusterer, "sklearn", example, artifact_path="clusterer")
        elif isinstance(result.estimator, Pipeline):
            run.log_model(result.estimator, "sklearn", example, artifact_path="clusterer")
        # Segments are fitted on the customers at as_of_date itself.
        version = run.register(
            "segmentation",
            as_of_date=as_of_date,
            reference_cutoff=as_of_date,
            config_fingerprint=fingerprint,
            promote=decision.promote,
        )
        run_id = run.run_id
    return _segments_frame(features, config, result.labels, names, run_id, version, as_of_date)


def _segments_frame(
    features: pd.DataFrame,
    config: SegmentationConfig,
    labels: np.ndarray,
    names: dict[int, str],
    run_id: str,
    version: int,
    trained_as_of_date: str,
) -> pd.DataFrame:
    return output_frame(
        SEGMENT_SCHEMA,
        {
            CUSTOMER_ID: features[CUSTOMER_ID],
            "segment_id": labels,
            "segment_name": [segment_name(names, label) for label in labels],
            "algorithm": config.algorithm,
        },
        run_id=run_id,
        model_version=version,
        trained_as_of_date=trained_as_of_date,
        as_of_date=as_of_date_of(features),
    )


def embed_customers(features: pd.DataFrame, config: SegmentationConfig) -> pd.DataFrame:
    """2-D coordinates of the segmentation space (PCA, or UMAP when chosen and installed)."""
    if features.empty:
        return pd.DataFrame(
            {
                CUSTOMER_ID: pd.Series(dtype="string"),
                "x": pd.Series(dtype="float64"),
                "y": pd.Series(dtype="float64"),
                "method": pd.Series(dtype="string"),
            }
        )
    validate_frame(
        features, name="customer_features", required=(CUSTOMER_ID, *SEGMENT_FEATURES), unique=[CUSTOMER_ID], min_rows=3
    )
    features = features.sort_values(CUSTOMER_ID).reset_index(drop=True)
    space = scaled_space(features, config.scaling)
    coordinates: Any
    if config.embedding_method == "umap":
        try:
            import umap  # optional: pip install umap-learn
        except ImportError:
            raise RetailError(
                "embedding_method 'umap' needs the umap-learn package: `uv pip install umap-learn`, "
                "or set the dbt var embedding_method to 'pca'"
            ) from None
        coordinates = umap.UMAP(n_components=2, random_state=config.random_state).fit_transform(space)
    else:
        coordinates = PCA(n_components=2, random_state=config.random_state).fit_transform(space)
    return pd.DataFrame(
        {
            CUSTOMER_ID: features[CUSTOMER_ID].astype("string"),
            "x": np.asarray(coordinates[:, 0], dtype="float64"),
            "y": np.asarray(coordinates[:, 1], dtype="float64"),
            "method": pd.Series([config.embedding_method] * len(features), dtype="string"),
        }
    )
