"""Churn, LTV, segmentation and BG/NBD on small synthetic data, with MLflow in a temp folder."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from models_py.errors import RetailError
from models_py.ml import churn, ltv, segmentation
from models_py.ml.bgnbd import BgNbd, GammaGamma, PurchaseModels
from models_py.ml.config import ChurnConfig, LtvConfig, SegmentationConfig
from models_py.ml.features import design_matrix, validate_frame
from models_py.ml.purchase_forecast import forecast
from models_py.ml.retraining import RETRAIN, Decision, trains
from models_py.ml.tracking import champion, model_metrics_table, run_params
from models_py.ml.training_sets import read_training_sample, training_sets, with_purchase_features
from tests.python.conftest import PROJECT_DIR
from tests.python.unit.synthetic import customer_features, training_snapshots


@pytest.fixture
def tracking_uri(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'mlflow.db'}"


def test_design_matrix_has_no_missing_values_and_logs_money() -> None:
    features = customer_features(50, seed=1)
    purchase_models = PurchaseModels.fit(features, 90)

    matrix = design_matrix(with_purchase_features(features, purchase_models))

    assert not matrix.isna().any().any()
    assert matrix["monetary"].max() == pytest.approx(np.log1p(features["monetary"].max()))
    one_timer = features.index[features["frequency"] == 1][0]
    assert matrix.loc[one_timer, "avg_interpurchase_days"] == pytest.approx(
        np.log1p(features.loc[one_timer, "tenure_days"])
    )
    expected_orders = purchase_models.bgnbd.expected_purchases(features, 90)
    np.testing.assert_allclose(matrix["bgnbd_expected_orders"], np.log1p(expected_orders))
    np.testing.assert_allclose(matrix["bgnbd_probability_alive"], purchase_models.bgnbd.probability_alive(features))


def test_the_training_sample_is_the_first_ranks_of_each_snapshot_read_in_duckdb() -> None:
    """At most N customers per snapshot: the rows whose training_sample_rank is at most N, whatever
    order the rows are in; 0 keeps every row."""
    snapshots = pd.concat(
        [
            customer_features(300, seed=1, as_of_date="2011-06-12"),
            customer_features(80, seed=2, as_of_date="2011-09-10"),
        ],
        ignore_index=True,
    )
    snapshots["training_sample_rank"] = snapshots.groupby("as_of_date").cumcount() + 1
    shuffled = snapshots.sample(frac=1, random_state=3)
    con = duckdb.connect()
    try:
        kept = read_training_sample(con.from_df(shuffled), 120)
        everyone = read_training_sample(con.from_df(shuffled), 0)
    finally:
        con.close()

    assert kept.groupby(kept["as_of_date"].astype(str)).size().to_dict() == {"2011-06-12": 120, "2011-09-10": 80}
    assert set(zip(kept["customer_id"], kept["as_of_date"].astype(str), strict=True)) == set(
        zip(
            snapshots.loc[snapshots["training_sample_rank"] <= 120, "customer_id"],
            snapshots.loc[snapshots["training_sample_rank"] <= 120, "as_of_date"].astype(str),
            strict=True,
        )
    )
    assert len(everyone) == len(snapshots)


def test_training_sets_stack_snapshots_by_role_and_fit_purchase_models_per_snapshot() -> None:
    """Two stacked snapshots per role: candidates fit on both fit snapshots, compare on the validation
    snapshot at stack_index 0, refit on both validation snapshots; each snapshot's BG/NBD features come
    from a fit on that snapshot alone (a fit on the pooled rows would give other numbers)."""
    frames = []
    for seed, (role, stack_index, cutoff) in enumerate(
        [
            ("fit", 0, "2011-06-12"),
            ("fit", 1, "2011-05-28"),
            ("validation", 0, "2011-09-10"),
            ("validation", 1, "2011-08-26"),
        ]
    ):
        snapshot = customer_features(150 + 10 * seed, seed=20 + seed, as_of_date=cutoff)
        frames.append(
            snapshot.assign(snapshot_role=role, stack_index=stack_index, future_spend=1.0, spend_last_ltv_horizon=0.0)
        )
    snapshots = pd.concat(frames, ignore_index=True).sample(frac=1, random_state=0)

    sets = training_sets(snapshots, 90, random_state=0)

    assert len(sets.fit) == 150 + 160 and len(sets.validation) == 170 and len(sets.refit) == 170 + 180
    assert set(sets.validation["as_of_date"].astype(str)) == {"2011-09-10"}
    for frame, snapshot in ((sets.fit, frames[1]), (sets.refit, frames[3])):
        own = frame[frame["as_of_date"] == snapshot["as_of_date"].iloc[0]].set_index("customer_id")
        snapshot = snapshot.sort_values("customer_id")
        alone = BgNbd.fit(snapshot)
        expected = pd.Series(alone.probability_alive(snapshot), index=snapshot["customer_id"])
        np.testing.assert_allclose(own.loc[expected.index, "bgnbd_probability_alive"], expected, rtol=1e-6)


def test_churn_fit_and_score_learns_signal_and_logs_run(tracking_uri: str) -> None:
    snapshots = training_snapshots(400, seed=3)
    current = customer_features(120, seed=9)

    scores = churn.fit_and_score(snapshots, current, ChurnConfig(tracking_uri=tracking_uri))

    assert len(scores) == 120 and scores["customer_id"].is_unique
    assert scores["churn_probability"].between(0, 1).all()
    metrics = model_metrics_table([scores[["model_run_id", "as_of_date"]].drop_duplicates()], tracking_uri)
    chosen = metrics[(metrics["model_name"] == "chosen") & (metrics["metric"] == "roc_auc")]["value"]
    assert chosen.iloc[0] > 0.7
    recency = metrics[(metrics["model_name"] == "recency_baseline") & (metrics["metric"] == "roc_auc")]
    assert len(recency) == 1 and set(metrics["model_family"]) == {"churn"}
    # Longer recency means churn in the synthetic labels: the score must agree.
    correlation = np.corrcoef(current.sort_values("customer_id")["recency_days"], scores["churn_probability"])[0, 1]
    assert correlation > 0.3


def test_churn_ensemble_validation_probabilities_equal_a_fitted_soft_voting_classifier() -> None:
    """The ensemble candidate is averaged from its members' validation probabilities, not fitted:
    it must equal sklearn's VotingClassifier fitted on the same rows."""
    from sklearn.ensemble import VotingClassifier

    config = ChurnConfig()
    sets = training_sets(training_snapshots(300, seed=5), config.horizon_days, config.random_state)
    labels = sets.fit["is_churned"].astype(int).to_numpy()
    members = [(name, churn.make_classifier(name, config, float(labels.mean()))) for name in ("logistic", "xgboost")]
    voting = VotingClassifier(members, voting="soft").fit(design_matrix(sets.fit), labels)

    results = {result.name: result for result in churn.evaluate_candidates(sets.fit, sets.validation, config)}

    assert [result for result in results] == list(config.candidates)
    expected = voting.predict_proba(design_matrix(sets.validation))[:, 1]
    np.testing.assert_allclose(results["ensemble"].probabilities, expected, rtol=1e-12, atol=1e-12)
    assert not np.allclose(results["ensemble"].probabilities, results["xgboost"].probabilities)


def test_churn_validation_metrics_are_out_of_time(tracking_uri: str) -> None:
    """Validation labels shuffled, fit labels intact: out-of-time ROC-AUC is chance; computed on the
    rows the model was fitted on it would be far above."""
    snapshots = training_snapshots(400, seed=3)
    validation = snapshots["snapshot_role"] == "validation"
    shuffled = np.random.default_rng(0).permutation(snapshots.loc[validation, "is_churned"].to_numpy())
    snapshots.loc[validation, "is_churned"] = shuffled

    scores = churn.fit_and_score(snapshots, customer_features(50, seed=9), ChurnConfig(tracking_uri=tracking_uri))

    metrics = model_metrics_table([scores[["model_run_id", "as_of_date"]].drop_duplicates()], tracking_uri)
    chosen = metrics[(metrics["model_name"] == "chosen") & (metrics["metric"] == "roc_auc")]["value"]
    assert chosen.iloc[0] == pytest.approx(0.5, abs=0.08)


def test_churn_scores_do_not_depend_on_row_order(tracking_uri: str) -> None:
    snapshots = training_snapshots(300, seed=4)
    current = customer_features(80, seed=5)
    config = ChurnConfig(tracking_uri=tracking_uri, candidates=("xgboost",))

    first = churn.fit_and_score(snapshots, current, config)
    second = churn.fit_and_score(
        snapshots.sample(frac=1, random_state=1), current.sample(frac=1, random_state=2), config
    )

    np.testing.assert_allclose(first["churn_probability"], second["churn_probability"], rtol=1e-9)


def test_churn_empty_input_returns_typed_empty_frame(tracking_uri: str) -> None:
    scores = churn.fit_and_score(
        training_snapshots(60, seed=1), customer_features(0, seed=1), ChurnConfig(tracking_uri=tracking_uri)
    )

    assert scores.empty and str(scores["churn_probability"].dtype) == "float64"


def test_churn_too_few_rows_fail_loudly(tracking_uri: str) -> None:
    with pytest.raises(RetailError, match="at least 50 are needed"):
        churn.fit_and_score(
            training_snapshots(20, seed=1), customer_features(10, seed=2), ChurnConfig(tracking_uri=tracking_uri)
        )


def test_ltv_fit_and_score_ranks_spenders_and_reports_baselines(tracking_uri: str) -> None:
    snapshots = training_snapshots(400, seed=6)
    current = customer_features(100, seed=7)

    scores = ltv.fit_and_score(snapshots, current, LtvConfig(tracking_uri=tracking_uri))

    assert len(scores) == 100 and (scores["predicted_ltv"] >= 0).all()
    metrics = model_metrics_table([scores[["model_run_id", "as_of_date"]].drop_duplicates()], tracking_uri)
    names = set(metrics["model_name"])
    assert {"xgboost_tweedie", "last_horizon_spend", "bgnbd_gamma_gamma"} <= names
    spearman = metrics[(metrics["model_name"] == "xgboost_tweedie") & (metrics["metric"] == "spearman")]["value"]
    assert spearman.iloc[0] > 0.3


def test_segments_are_named_stable_and_without_tiny_segments(tracking_uri: str) -> None:
    features = customer_features(400, seed=8)
    # An extreme customer must join a segment, not form one.
    features.loc[0, ["monetary", "frequency", "avg_order_value"]] = [5_000_000.0, 900, 5_555.0]
    config = SegmentationConfig(tracking_uri=tracking_uri, k_min=3, k_max=6)

    first = segmentation.segment_customers(features, config)
    second = segmentation.segment_customers(features.sample(frac=1, random_state=3), config)

    shares = first["segment_id"].value_counts(normalize=True)
    assert shares.min() >= config.min_share
    assert first["segment_name"].notna().all()
    assert first["segment_name"].groupby(first["segment_id"]).nunique().max() == 1
    pd.testing.assert_series_equal(first["segment_id"], second["segment_id"])


def test_segment_ids_follow_previous_centroids() -> None:
    features = customer_features(300, seed=10)
    config = SegmentationConfig(k_min=4, k_max=4)
    first = segmentation.fit_segments(features, config)
    # Rename the previous ids: matching must carry the new names over.
    renamed = {old + 10: centroid for old, centroid in first.centroids.items()}

    second = segmentation.fit_segments(features, config, renamed)

    np.testing.assert_array_equal(second.labels, first.labels + 10)


def test_k_is_searched_on_a_sample_and_everyone_is_fitted_from_its_centres() -> None:
    """Four tight customer groups, each 20x apart from the others in some features: the sampled
    search must choose k = 4 and, fitted on everyone, recover the groups, as the full search does."""
    from sklearn.metrics import adjusted_rand_score

    features = customer_features(1_200, seed=13)
    groups = np.arange(len(features)) % 4
    noise = np.random.default_rng(13).lognormal(0, 0.1, (len(features), len(segmentation.SEGMENT_FEATURES)))
    for index, column in enumerate(segmentation.SEGMENT_FEATURES):
        # Groups 1 and 3 buy 20x more; groups 2 and 3 have been away and around 20x longer.
        buying = column in ("frequency", "monetary", "avg_order_value", "unique_products")
        factor = np.where((groups % 2 == 1) if buying else (groups >= 2), 20.0, 1.0)
        features[column] = 5.0 * factor * noise[:, index]
    full = segmentation.fit_segments(features, SegmentationConfig(k_min=3, k_max=6, search_sample=0))
    sampled = segmentation.fit_segments(features, SegmentationConfig(k_min=3, k_max=6, search_sample=300))

    assert set(full.k_search["customers"]) == {1_200} and set(sampled.k_search["customers"]) == {300}
    assert full.k == sampled.k == 4
    assert adjusted_rand_score(groups, sampled.labels) == pytest.approx(1.0)
    assert adjusted_rand_score(full.labels, sampled.labels) == pytest.approx(1.0)


@pytest.mark.parametrize("silhouette_sample", [150, 5_000])
def test_silhouette_from_shared_sample_distances_equals_sklearn(silhouette_sample: int) -> None:
    from sklearn.metrics import silhouette_score

    space = segmentation.scaled_space(customer_features(400, seed=14))
    config = SegmentationConfig(silhouette_sample=silhouette_sample)
    sample = segmentation.SilhouetteSample.of(space, config)

    for k in (3, 5):
        labels, _ = segmentation.cluster_space(space, k, config)
        expected = silhouette_score(space, labels, sample_size=min(silhouette_sample, 400), random_state=42)
        quality = segmentation.segmentation_quality(space, labels, config, sample)
        assert quality["silhouette"] == pytest.approx(expected, rel=1e-9)


def test_sample_silhouette_equals_sklearn_with_a_lone_customer_and_uneven_blocks() -> None:
    """Distances are taken a block of rows at a time: 301 customers end in a partial block, and a
    cluster of one scores 0 (sklearn's convention), as does every customer of an all-singleton labelling."""
    from sklearn.metrics import silhouette_score

    rng = np.random.default_rng(21)
    space = rng.normal(size=(301, 4))
    sample = segmentation.SilhouetteSample.of(space, SegmentationConfig(silhouette_sample=5_000))
    labels = rng.integers(0, 3, size=301)
    labels[sample.rows[7]] = 9  # alone in its cluster
    expected = silhouette_score(space[sample.rows], labels[sample.rows])
    assert sample.silhouette(labels) == pytest.approx(expected, rel=1e-9)
    pair = segmentation.SilhouetteSample(np.arange(3), space[:3])
    assert pair.silhouette(np.array([0, 1, 2])) == 0.0
    assert pair.silhouette(np.array([0, 0, 0])) == -1.0


@pytest.mark.parametrize("search_sample", [0, 500])
def test_final_silhouette_is_sklearns_on_a_random_sample_of_all_customers(search_sample: int) -> None:
    """The final labels' silhouette reuses the search's sample distances: it must be sklearn's
    silhouette of those labels over silhouette_sample distinct customers of everyone (a sample of
    the search sample when k was searched on a sample), and sklearn's own draw when nothing was sampled."""
    from sklearn.metrics import silhouette_score

    features = customer_features(900, seed=15)
    config = SegmentationConfig(k_min=3, k_max=5, search_sample=search_sample, silhouette_sample=300)
    result = segmentation.fit_segments(features, config)
    space = segmentation.scaled_space(features)

    searched = segmentation.search_rows(space, config)
    customers = searched[segmentation.SilhouetteSample.of(space[searched], config).rows]
    assert len(np.unique(customers)) == 300 and customers.max() < 900
    expected = silhouette_score(space[customers], result.labels[customers])
    assert result.metrics["silhouette"] == pytest.approx(expected, rel=1e-9)
    if not search_sample:
        drawn = silhouette_score(space, result.labels, sample_size=300, random_state=config.random_state)
        assert result.metrics["silhouette"] == pytest.approx(drawn, rel=1e-9)


@pytest.mark.parametrize("algorithm", ["minibatch_kmeans", "gmm", "dbscan"])
def test_alternative_segmentation_algorithms(algorithm: str) -> None:
    features = customer_features(300, seed=11)

    result = segmentation.fit_segments(features, SegmentationConfig(algorithm=algorithm, k_min=3, k_max=5))  # type: ignore[arg-type]

    assigned = result.labels[result.labels != segmentation.NOISE_SEGMENT]
    assert len(assigned) > 0 and result.k >= 1
    assert "silhouette" in result.metrics


def test_dbscan_keeps_noise_small_and_no_segment_below_the_minimum_share() -> None:
    # 2,000 synthetic customers: DBSCAN finds a dense pocket of about 4% beside the main cluster.
    features = customer_features(2_000, seed=1)
    found = segmentation.fit_segments(features, SegmentationConfig(algorithm="dbscan", min_share=0.02)).labels
    config = SegmentationConfig(algorithm="dbscan", min_share=0.05)

    labels = segmentation.fit_segments(features, config).labels

    shares = pd.Series(labels[labels != segmentation.NOISE_SEGMENT]).value_counts() / len(labels)
    assert (pd.Series(found).value_counts(normalize=True).drop(segmentation.NOISE_SEGMENT) < 0.05).any()
    assert shares.min() >= config.min_share  # the pocket joined the noise
    assert (labels == segmentation.NOISE_SEGMENT).mean() < 0.10


def simulate_bgnbd(customers: int, r: float, alpha: float, a: float, b: float, seed: int) -> pd.DataFrame:
    """Purchase histories drawn from the BG/NBD story (Fader, Hardie & Lee 2005), in days: each customer buys
    at a Poisson rate lambda ~ Gamma(r, alpha) per week and drops out after each repeat purchase with
    probability p ~ Beta(a, b), observed for 30 to 78 weeks after the first purchase."""
    rng = np.random.default_rng(seed)
    rates, dropout = rng.gamma(r, 1 / alpha, customers), rng.beta(a, b, customers)
    age = rng.uniform(30, 78, customers)
    repeats, last = np.zeros(customers), np.zeros(customers)
    for customer in range(customers):
        at = rng.exponential(1 / rates[customer])
        while at <= age[customer]:
            repeats[customer], last[customer] = repeats[customer] + 1, at
            if rng.uniform() < dropout[customer]:
                break
            at += rng.exponential(1 / rates[customer])
    return pd.DataFrame({"frequency": repeats + 1, "purchase_span_days": last * 7, "tenure_days": age * 7})


def test_bgnbd_recovers_the_parameters_it_was_simulated_from() -> None:
    # The CDNOW estimates of the BG/NBD paper; within 20% each from 10,000 simulated customers.
    truth = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}

    model = BgNbd.fit(simulate_bgnbd(10_000, **truth, seed=7))

    for name, value in truth.items():
        assert getattr(model, name) == pytest.approx(value, rel=0.2), name


def test_gamma_gamma_recovers_the_parameters_it_was_simulated_from() -> None:
    # Fader & Hardie's CDNOW spend estimates: order values z ~ Gamma(p, nu), nu ~ Gamma(q, gamma) per customer;
    # within 20% from 10,000 customers (p and gamma trade off against each other in the likelihood).
    p, q, gamma = 6.25, 3.74, 15.44
    rng = np.random.default_rng(8)
    orders = rng.integers(1, 11, 10_000)
    scale = rng.gamma(q, 1 / gamma, orders.size)
    spend = pd.DataFrame(
        {
            "frequency": orders,
            "avg_order_value": [rng.gamma(p, 1 / nu, count).mean() for nu, count in zip(scale, orders, strict=True)],
        }
    )

    model = GammaGamma.fit(spend)

    assert (model.p, model.q, model.gamma) == pytest.approx((p, q, gamma), rel=0.2)


def test_bgnbd_expected_purchases_rise_with_frequency() -> None:
    features = customer_features(500, seed=12)
    model = BgNbd.fit(features)

    expected = model.expected_purchases(features, 90)
    alive = model.probability_alive(features)

    assert np.all(np.isfinite(expected)) and (expected >= 0).all()
    assert ((alive >= 0) & (alive <= 1)).all()
    assert np.corrcoef(features["frequency"] / features["tenure_days"], expected)[0, 1] > 0.3
    value = GammaGamma.fit(features).expected_order_value(features)
    assert np.corrcoef(features["avg_order_value"], value)[0, 1] > 0.5


def test_embedding_pca_gives_two_coordinates_per_customer() -> None:
    features = customer_features(60, seed=13)

    embedding = segmentation.embed_customers(features, SegmentationConfig())

    assert len(embedding) == 60 and embedding["customer_id"].is_unique
    assert embedding[["x", "y"]].notna().all().all() and set(embedding["method"]) == {"pca"}


def test_embedding_umap_without_package_says_how_to_install() -> None:
    try:
        import umap  # noqa: F401
    except ImportError:
        with pytest.raises(RetailError, match="umap-learn"):
            segmentation.embed_customers(customer_features(30, seed=14), SegmentationConfig(embedding_method="umap"))
    else:
        embedding = segmentation.embed_customers(
            customer_features(30, seed=14), SegmentationConfig(embedding_method="umap")
        )
        assert set(embedding["method"]) == {"umap"}


def test_assignment_model_reproduces_the_segments() -> None:
    features = customer_features(300, seed=15)
    result = segmentation.fit_segments(features, SegmentationConfig(k_min=4, k_max=4))

    model = segmentation.assignment_model(features, result.labels)

    raw = segmentation.segment_inputs(features)
    agreement = (model.predict(raw) == result.labels).mean()
    assert agreement > 0.95


def test_artifacts_are_stored_beside_the_sqlite_store(tracking_uri: str, tmp_path: Path) -> None:
    from models_py.ml.tracking import artifact_location

    assert artifact_location(tracking_uri) == (tmp_path / "mlartifacts").as_uri()
    assert artifact_location("http://127.0.0.1:5000") is None


def test_champion_scores_exactly_like_the_model_it_registered(tracking_uri: str) -> None:
    config = ChurnConfig(tracking_uri=tracking_uri)
    snapshots, features = training_snapshots(600, seed=21), customer_features(300, seed=22)

    trained = churn.fit_and_score(snapshots, features, config)
    registered = champion(tracking_uri, "churn")
    assert registered is not None
    # The dbt model reads no training snapshots when the champion scores (retraining.trains).
    keep = Decision(False, False, "test")
    assert not trains(keep, registered)
    scored = churn.fit_and_score(None, features, config, keep, registered)

    assert registered.version == 1 and registered.as_of_date == "2011-09-10"
    np.testing.assert_allclose(scored["churn_probability"], trained["churn_probability"])
    assert (scored["model_version"] == 1).all() and (scored["model_run_id"] == trained["model_run_id"]).all()
    with pytest.raises(RetailError, match="customer_training_snapshots was not read"):
        churn.fit_and_score(None, features, config, Decision(True, True, "test"), registered)


def test_backfill_model_is_registered_but_not_promoted(tracking_uri: str) -> None:
    config = LtvConfig(tracking_uri=tracking_uri)
    snapshots = training_snapshots(600, seed=23)
    ltv.fit_and_score(snapshots, customer_features(300, seed=24), config)

    backfill = ltv.fit_and_score(
        snapshots, customer_features(300, seed=24, as_of_date="2011-06-01"), config, Decision(True, False, "backfill")
    )

    current = champion(tracking_uri, "ltv")
    assert current is not None and current.version == 1
    assert (backfill["model_version"] == 2).all()


def test_segments_partial_fit_between_full_refits_keeps_ids(tracking_uri: str) -> None:
    config = SegmentationConfig(
        algorithm="minibatch_kmeans", k_min=4, k_max=4, refit_every=3, tracking_uri=tracking_uri
    )
    keep = Decision(False, False, "scheduled build")
    updates = []
    ids: set[int] = set()
    for week, as_of in enumerate(("2011-09-10", "2011-09-17", "2011-09-24", "2011-10-01")):
        features = customer_features(400, seed=30 + week, as_of_date=as_of)
        current = champion(tracking_uri, "segmentation")
        result = segmentation.segment_customers(features, config, keep if current else RETRAIN, current)
        params = run_params(tracking_uri, str(result["model_run_id"].iloc[0]))
        updates.append((params["update"], int(params["updates_since_refit"])))
        ids = ids or set(result["segment_id"])
        assert set(result["segment_id"]) <= ids

    # Week 1 fits (no champion), weeks 2-3 update by partial_fit, week 4 refits (K = 3).
    assert updates == [("refit", 0), ("partial_fit", 1), ("partial_fit", 2), ("refit", 0)]


def test_partial_fit_needs_minibatch_kmeans(tracking_uri: str) -> None:
    config = SegmentationConfig(algorithm="kmeans", refit_every=3, tracking_uri=tracking_uri)
    with pytest.raises(RetailError, match="needs segmentation_algorithm minibatch_kmeans"):
        segmentation.segment_customers(customer_features(100, seed=1), config)


def test_segments_with_the_same_profile_name_are_told_apart_by_words() -> None:
    # Three lapsed segments differing only in spend, and one recent segment.
    profiles = [(300, 50.0, 10), (300, 100.0, 10), (300, 200.0, 10), (5, 400.0, 40)]
    rows = [
        {"recency_days": recency, "frequency": 2, "monetary": monetary, "tenure_days": 400}
        for recency, monetary, customers in profiles
        for _ in range(customers)
    ]
    features = pd.DataFrame(rows)
    labels = np.repeat(np.arange(4), [customers for _, _, customers in profiles])

    names = segmentation.name_segments(features, labels)

    assert names == {
        0: "hibernating (low spend)",
        1: "hibernating (mid spend)",
        2: "hibernating (high spend)",
        3: "loyal",
    }


def test_a_one_cohort_shop_gets_unique_segment_names_without_numbers() -> None:
    # Everybody's first order in the last 40 days: most segments look like new customers.
    features = customer_features(600, seed=31)
    rng = np.random.default_rng(31)
    features["tenure_days"] = rng.integers(5, 40, len(features))
    features["recency_days"] = np.minimum(features["recency_days"], features["tenure_days"])
    features["purchase_span_days"] = features["tenure_days"] - features["recency_days"]

    result = segmentation.fit_segments(features, SegmentationConfig(k_min=5, k_max=6))
    names = segmentation.name_segments(features, result.labels)

    assert len(set(names.values())) == len(names) >= 5
    assert not any(character.isdigit() for name in names.values() for character in name)


def test_bgnbd_customer_quantities_equal_hand_computations() -> None:
    model = BgNbd(r=1.0, alpha=2.0, a=1.0, b=2.0)
    # Two repeat orders, the last at week 4, customer for 6 weeks; and a one-order customer.
    history = pd.DataFrame({"frequency": [3, 1], "purchase_span_days": [28, 0], "tenure_days": [42, 42]})

    alive = model.probability_alive(history)
    days = model.expected_days_to_next_purchase(history)

    # Odds of having dropped out: a / (b + x - 1) x ((alpha + T) / (alpha + t_x))^(r + x) = 1/3 x (8/6)^3.
    assert alive[0] == pytest.approx(1 / (1 + (1 / 3) * (8 / 6) ** 3))
    assert alive[1] == 1.0  # no repeat order: nothing to have dropped out after
    # Rate posterior Gamma(r + x, alpha + T) = Gamma(3, 8): E[1 / rate] = 8 / 2 weeks = 28 days.
    assert days[0] == pytest.approx(28.0)
    assert np.isnan(days[1])  # r + x = 1: the mean waiting time is infinite


def test_bgnbd_without_dropout_expects_the_poisson_gamma_rate() -> None:
    # a -> 0: nobody drops out, and the expected orders in t weeks are t x (r + x) / (alpha + T).
    model = BgNbd(r=1.0, alpha=2.0, a=1e-9, b=1.0)
    history = pd.DataFrame({"frequency": [3], "purchase_span_days": [28], "tenure_days": [42]})

    expected = model.expected_purchases(history, horizon_days=91)

    assert expected[0] == pytest.approx(13 * 3 / 8, rel=1e-6)


def test_purchase_forecast_gives_every_customer_a_row() -> None:
    features = customer_features(300, seed=40)

    result = forecast(features, horizon_days=90)

    assert sorted(result["customer_id"]) == sorted(features["customer_id"])
    assert result["probability_alive"].between(0, 1).all() and (result["expected_orders"] >= 0).all()
    one_timers = features.set_index("customer_id")["frequency"].eq(1)
    assert (result.set_index("customer_id").loc[one_timers[one_timers].index, "probability_alive"] == 1).all()


def test_purchase_models_fit_each_population_once_and_refit_when_values_or_order_change(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    features = customer_features(300, seed=11)
    calls: list[int] = []
    real_fit = BgNbd.fit.__func__  # type: ignore[attr-defined]

    def counting_fit(cls: type[BgNbd], frame: pd.DataFrame) -> BgNbd:
        calls.append(len(frame))
        return real_fit(cls, frame)

    monkeypatch.setattr(BgNbd, "fit", classmethod(counting_fit))
    first = PurchaseModels.fit(features, 90)
    for_ltv = PurchaseModels.fit(features.copy(), 30)  # another model, same population
    assert len(calls) == 1
    assert for_ltv.bgnbd == first.bgnbd and for_ltv.gamma_gamma == first.gamma_gamma
    assert for_ltv.horizon_days == 30

    changed = features.assign(frequency=features["frequency"] + (features.index == 0))
    PurchaseModels.fit(changed, 90)
    PurchaseModels.fit(features.iloc[::-1], 90)
    assert len(calls) == 3
    # The cached fit is the fit: the same as fitting again from scratch.
    assert first.bgnbd == real_fit(BgNbd, features)


def test_churn_and_ltv_fit_the_spend_model_of_the_same_rows_once(
    tracking_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from xgboost import XGBRegressor

    from models_py.ml.shared_fits import SharedFits

    monkeypatch.setattr(ltv, "SHARED_FITS", SharedFits())  # no fit left by another test
    fitted_rows: list[int] = []
    real_fit = XGBRegressor.fit

    def counting_fit(self: XGBRegressor, matrix: pd.DataFrame, *args: object, **kwargs: object) -> XGBRegressor:
        fitted_rows.append(len(matrix))
        return real_fit(self, matrix, *args, **kwargs)

    monkeypatch.setattr(XGBRegressor, "fit", counting_fit)
    snapshots, current = training_snapshots(300, seed=21), customer_features(80, seed=22)

    churn.fit_and_score(snapshots, current, ChurnConfig(tracking_uri=tracking_uri))
    ltv.fit_and_score(snapshots, current, LtvConfig(tracking_uri=tracking_uri))

    sets = training_sets(snapshots, 90, 42)
    # Churn's contact economics and LTV's validation: one fit on the fit snapshots; LTV's refit: one more.
    assert fitted_rows == [len(sets.fit), len(sets.refit)]


@pytest.mark.parametrize(
    ("frame", "keys", "repeated"),
    [
        (pd.DataFrame({"customer_id": ["a", "b", "c"]}), ["customer_id"], False),
        (pd.DataFrame({"customer_id": ["a", "b", "a"]}), ["customer_id"], True),
        (pd.DataFrame({"customer_id": pd.Series(["a", None, None], dtype="string")}), ["customer_id"], True),
        (
            pd.DataFrame({"customer_id": ["a", "a"], "cutoff": ["2011-01-01", "2011-02-01"]}),
            ["customer_id", "cutoff"],
            False,
        ),
        (
            pd.DataFrame({"customer_id": ["a", "a"], "cutoff": ["2011-01-01", "2011-01-01"]}),
            ["customer_id", "cutoff"],
            True,
        ),
    ],
)
def test_validate_frame_refuses_repeated_keys_of_one_or_several_columns(
    frame: pd.DataFrame, keys: list[str], repeated: bool
) -> None:
    # pandas' own answer: a key value seen before (missing values equal, as in SQL's group by).
    assert frame.duplicated(subset=keys).any() == repeated
    if repeated:
        with pytest.raises(RetailError, match=f"snapshots: {', '.join(keys)} is not unique"):
            validate_frame(frame, name="snapshots", required=keys, unique=keys)
    else:
        validate_frame(frame, name="snapshots", required=keys, unique=keys)


def test_the_builds_history_check_asks_for_as_many_customers_as_the_models_need() -> None:
    """dbt's require_training_history stops a build whose fit snapshot would have fewer customers
    than training_sets.MIN_ROWS; with another number it would pass builds the models then refuse."""
    from models_py.ml.training_sets import MIN_ROWS

    macro = (PROJECT_DIR / "dbt_project" / "macros" / "training_cutoffs.sql").read_text()
    assert f"macro require_training_history(min_customers={MIN_ROWS})" in macro
