"""Comparing segmentation algorithms on a sample, and saving the chosen setting as dbt vars."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from sklearn.cluster import DBSCAN, KMeans
from sklearn.metrics import davies_bouldin_score, silhouette_score
from sklearn.mixture import GaussianMixture

from models_py.errors import RetailError
from models_py.saved_vars import read_saved_vars, reset_vars, save_vars
from models_py.serving.segment_lab import Candidate, candidate_map, evaluate
from tests.python.unit.synthetic import customer_features

COLUMNS = ["recency_days", "frequency", "monetary", "avg_order_value", "unique_products", "tenure_days"]


def _space(features, log: bool = True, robust: bool = True) -> np.ndarray:  # type: ignore[no-untyped-def]
    """The segmentation space, written out by hand: log1p, centre and scale, clip to the 1st-99th percentile."""
    values = features[COLUMNS].to_numpy(dtype=float)
    values = np.log1p(np.clip(values, 0, None)) if log else values
    if robust:
        q1, median, q3 = np.percentile(values, [25, 50, 75], axis=0)
        scaled = (values - median) / (q3 - q1)
    else:
        scaled = (values - values.mean(axis=0)) / values.std(axis=0)
    low, high = np.quantile(scaled, [0.01, 0.99], axis=0)
    return np.asarray(np.clip(scaled, low, high))


def test_kmeans_candidate_scores_equal_sklearn_on_the_hand_built_space() -> None:
    features = customer_features(600, seed=3)

    result = evaluate(features, Candidate("kmeans", k=4), random_state=7)

    space = _space(features)
    labels = KMeans(n_clusters=4, n_init=10, random_state=7).fit_predict(space)
    assert result.clusters == 4 and result.noise == 0
    np.testing.assert_array_equal(result.labels, labels)
    assert result.silhouette == pytest.approx(silhouette_score(space, labels))
    assert result.davies_bouldin == pytest.approx(davies_bouldin_score(space, labels))


def test_scaling_changes_the_space_the_candidate_is_fitted_in() -> None:
    features = customer_features(400, seed=4)

    result = evaluate(features, Candidate("gmm", k=3, scaling="standard"), random_state=1)

    space = _space(features, log=False, robust=False)
    labels = GaussianMixture(n_components=3, covariance_type="full", random_state=1).fit(space).predict(space)
    np.testing.assert_array_equal(result.labels, labels)
    assert result.silhouette == pytest.approx(silhouette_score(space, labels))


def test_dbscan_with_given_eps_keeps_noise_apart_from_the_scores() -> None:
    features = customer_features(500, seed=5)

    result = evaluate(features, Candidate("dbscan", eps=0.6, min_samples=8), min_share=0.02)

    space = _space(features)
    labels = DBSCAN(eps=0.6, min_samples=8).fit_predict(space)
    # As the build does: clusters under the minimum share (2% = 10 customers) join the noise.
    clusters, sizes = np.unique(labels[labels >= 0], return_counts=True)
    labels[np.isin(labels, clusters[sizes < 10])] = -1
    np.testing.assert_array_equal(result.labels, labels)
    assert result.noise == int((labels == -1).sum()) > 0
    if result.clusters >= 2:
        kept = labels >= 0
        assert result.silhouette == pytest.approx(silhouette_score(space[kept], labels[kept]))
    points = candidate_map(features, result)
    assert (points["cluster"] == "noise").sum() == result.noise
    assert len(points) == len(features)


def test_k_outside_the_range_is_refused_with_the_range() -> None:
    with pytest.raises(RetailError, match="k must be between 2 and 12"):
        evaluate(customer_features(100, seed=1), Candidate("kmeans", k=13))


def test_use_this_setting_saves_vars_that_a_reset_removes(tmp_path: Path) -> None:
    path = tmp_path / "build_vars.yml"
    save_vars(path, {"random_state": 7})

    saved = save_vars(path, Candidate("gmm", k=6, scaling="log_standard").build_vars())

    assert (
        saved
        == read_saved_vars(path)
        == {
            "random_state": 7,
            "segmentation_algorithm": "gmm",
            "segment_k_min": 6,
            "segment_k_max": 6,
            "segment_scaling": "log_standard",
        }
    )
    assert yaml.safe_load(path.read_text()) == saved  # a plain YAML file people can read and edit
    # DBSCAN has no k: switching to it drops the fixed k again.
    after = save_vars(path, Candidate("dbscan", eps=0.5).build_vars())
    assert "segment_k_min" not in after and after["dbscan_eps"] == 0.5
    reset_vars(path)
    assert read_saved_vars(path) == {}


def test_a_broken_vars_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "build_vars.yml"
    path.write_text("- just\n- a list\n")
    with pytest.raises(RetailError, match=f"{path} must hold a mapping"):
        read_saved_vars(path)
