"""The scoring API on a built and published demo warehouse."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from models_py.ml.features import MODEL_FEATURES
from models_py.serving.api import CustomerFeatures, create_app
from tests.python.conftest import Workspace, copy_workspace

pytestmark = [pytest.mark.integration]

STORED_COLUMNS = (
    "customer_id, segment_id, segment_name, churn_probability, is_contact_recommended, predicted_ltv, "
    "value_at_risk, expected_value_of_contact, value_tier, risk_tier, recommended_action, rfm_segment, is_lapsed, "
    "probability_alive, expected_orders_next_horizon"
)


@pytest.fixture(scope="module")
def client(demo_build: Workspace) -> TestClient:
    return TestClient(create_app(demo_build.settings))


def _feature_rows(workspace: Workspace, limit: int) -> dict[str, dict[str, Any]]:
    """Stored features of some customers, typed as the API takes them."""
    rows = workspace.query(
        f"select customer_id, {', '.join(MODEL_FEATURES)} from marts.customer_features "
        f"order by hash(customer_id) limit {limit}",
        published=True,
    )
    integer = {name for name, field in CustomerFeatures.model_fields.items() if field.annotation is int}
    return {
        str(row[0]): {
            name: None if value is None else int(value) if name in integer else float(value)  # type: ignore[arg-type]
            for name, value in zip(MODEL_FEATURES, row[1:], strict=True)
        }
        for row in rows
    }


def _stored(workspace: Workspace, customer_id: str) -> dict[str, Any]:
    row = workspace.query(
        f"select {STORED_COLUMNS} from reporting.customer_scores where customer_id = ?", [customer_id], published=True
    )[0]
    return dict(zip([column.strip() for column in STORED_COLUMNS.split(",")], row, strict=True))


def test_health_names_the_publication_and_the_models_that_scored_it(client: TestClient, demo_build: Workspace) -> None:
    health = client.get("/health").json()

    publication_id, as_of_date = demo_build.query(
        "select any_value(publication_id), any_value(as_of_date) from reporting.publication", published=True
    )[0]
    versions = demo_build.query(
        "select distinct segmentation_model_version, churn_model_version, ltv_model_version, "
        "segmentation_run_id, churn_run_id, ltv_run_id from reporting.customer_scores",
        published=True,
    )
    models = health["models"]
    assert health["status"] == "ok"
    assert health["publication_id"] == publication_id and health["as_of_date"] == str(as_of_date)
    assert versions == [
        (
            *(models[family]["version"] for family in ("segmentation", "churn", "ltv")),
            *(models[family]["run_id"] for family in ("segmentation", "churn", "ltv")),
        )
    ]


def test_segments_and_customers_come_from_the_publication(client: TestClient, demo_build: Workspace) -> None:
    segments = client.get("/segments").json()
    customer_id = str(demo_build.query("select min(customer_id) from reporting.customer_scores", published=True)[0][0])

    customer = client.get(f"/customers/{customer_id}")
    unknown = client.get("/customers/no-such-customer")

    names = demo_build.query("select segment_name from reporting.segment_summary order by segment_id", published=True)
    assert [segment["segment_name"] for segment in segments] == [name for (name,) in names]
    assert {"customers", "recommended_action", "expected_net_benefit"} <= set(segments[0])
    assert customer.status_code == 200
    assert customer.json()["customer_id"] == customer_id and "recency_days" in customer.json()
    assert unknown.status_code == 404
    assert "'no-such-customer' is not in the publication" in unknown.json()["detail"]


def test_predict_by_customer_id_returns_the_stored_scores(client: TestClient, demo_build: Workspace) -> None:
    customer_id = str(demo_build.query("select max(customer_id) from reporting.customer_scores", published=True)[0][0])

    by_string = client.post("/predict", json={"customer_id": customer_id}).json()
    by_number = client.post("/predict", json={"customer_id": int(customer_id)}).json()
    unknown = client.post("/predict", json={"customer_id": 1})

    stored = _stored(demo_build, customer_id)
    assert by_string == by_number
    assert by_string["source"] == "stored"
    assert {name: by_string[name] for name in stored} == stored
    reasons = demo_build.query(
        "select churn_reason_1, churn_reason_2, churn_reason_3 from reporting.customer_scores where customer_id = ?",
        [customer_id],
        published=True,
    )[0]
    assert by_string["churn_reasons"] == list(reasons)
    assert unknown.status_code == 404


def test_predict_from_features_gives_a_customers_stored_scores(client: TestClient, demo_build: Workspace) -> None:
    customers = _feature_rows(demo_build, 40)

    for customer_id, features in customers.items():
        response = client.post("/predict", json={"features": features})
        assert response.status_code == 200, response.text
        scored, stored = response.json(), _stored(demo_build, customer_id)
        assert scored["source"] == "model" and scored["customer_id"] is None
        assert scored["rfm_segment"] is None and scored["is_lapsed"] is None  # ranks among a build's customers
        assert scored["segment_id"] == stored["segment_id"] and scored["segment_name"] == stored["segment_name"]
        assert scored["churn_probability"] == pytest.approx(stored["churn_probability"], rel=1e-6)
        assert scored["predicted_ltv"] == pytest.approx(stored["predicted_ltv"], rel=1e-5)
        assert scored["value_at_risk"] == pytest.approx(stored["value_at_risk"], rel=1e-5)
        assert scored["expected_value_of_contact"] == pytest.approx(stored["expected_value_of_contact"], rel=1e-4)
        assert scored["is_contact_recommended"] == stored["is_contact_recommended"]
        # The same reasons in the same words: the registered model explains a feature row as the build did.
        assert (
            scored["churn_reasons"]
            == client.post("/predict", json={"customer_id": customer_id}).json()["churn_reasons"]
        )
        assert (scored["value_tier"], scored["risk_tier"], scored["recommended_action"]) == (
            stored["value_tier"],
            stored["risk_tier"],
            stored["recommended_action"],
        )


def test_a_running_api_follows_a_new_publication(demo_build: Workspace, tmp_path: Any) -> None:
    workspace = copy_workspace(demo_build, tmp_path / "workspace")
    client = TestClient(create_app(workspace.settings))
    before = client.get("/health").json()["publication_id"]

    workspace.run("publish", check=True)

    after = client.get("/health").json()["publication_id"]
    published = workspace.query("select any_value(publication_id) from reporting.publication", published=True)
    assert after != before and [(after,)] == published


def test_batch_gives_each_customer_its_stored_scores_and_feature_rows_score_as_stored(
    client: TestClient, demo_build: Workspace
) -> None:
    features = _feature_rows(demo_build, 25)
    ids = list(features)

    by_id = client.post("/predict/batch", json={"customer_ids": [*ids, "no-such-customer"]})
    by_features = client.post("/predict/batch", json={"features": list(features.values())})

    assert by_id.status_code == 200 and by_features.status_code == 200
    assert by_id.json()["not_found"] == ["no-such-customer"]
    stored = by_id.json()["predictions"]
    assert [row["customer_id"] for row in stored] == ids
    scored = by_features.json()["predictions"]
    assert len(scored) == len(ids)
    for customer_id, from_id, from_features in zip(ids, stored, scored, strict=True):
        expected = _stored(demo_build, customer_id)
        assert from_id["source"] == "stored" and from_features["source"] == "model"
        for row in (from_id, from_features):
            assert row["segment_id"] == expected["segment_id"]
            assert row["churn_probability"] == pytest.approx(expected["churn_probability"], rel=1e-6)
            assert row["predicted_ltv"] == pytest.approx(float(expected["predicted_ltv"]), rel=1e-6, abs=1e-6)
            assert row["recommended_action"] == expected["recommended_action"]
