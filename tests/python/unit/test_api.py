"""Request validation and error responses of the scoring API (no publication needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest
from fastapi.testclient import TestClient

from models_py.publish import MANIFEST_SELECT
from models_py.serving.api import EXAMPLE_FEATURES, PredictRequest, create_app
from models_py.settings import Settings


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    settings = Settings.from_env({"RETAIL_WAREHOUSE": str(tmp_path / "warehouse" / "retail.duckdb")})
    return TestClient(create_app(settings))


def _features(**changes: Any) -> dict[str, Any]:
    features = {**EXAMPLE_FEATURES, **changes}
    return {name: value for name, value in features.items() if value != "<omit>"}


@pytest.mark.parametrize(
    ("features", "field", "message"),
    [
        (_features(monetary=-5.0), "features.monetary", "greater than or equal to 0"),
        (_features(frequency="nine"), "features.frequency", "valid integer"),
        (_features(recency_days="12"), "features.recency_days", "valid integer"),
        (_features(avg_order_value=1e15), "features.avg_order_value", "less than or equal to 1000000000"),
        (_features(tenure_days=10**9), "features.tenure_days", "less than or equal to 36500"),
        (_features(return_rate=1.5), "features.return_rate", "less than or equal to 1"),
        (_features(recency_days="<omit>"), "features.recency_days", "Field required"),
        (_features(avg_interpurchase_days="<omit>"), "features.avg_interpurchase_days", "required when frequency > 1"),
        (_features(orders_last_90d=50), "features.orders_last_90d", "must not exceed frequency (9)"),
        (_features(recency_days=400), "features.recency_days", "must not exceed tenure_days (320)"),
        (_features(lifetime_value=3.0), "features.lifetime_value", "Extra inputs are not permitted"),
        (_features(frequency=True), "features.frequency", "valid integer"),
    ],
)
def test_predict_rejects_invalid_features_naming_the_field(
    client: TestClient, features: dict[str, Any], field: str, message: str
) -> None:
    response = client.post("/predict", json={"features": features})

    assert response.status_code == 422
    body = response.json()
    assert f"{field}: " in body["message"] and message in body["message"]
    assert any(".".join(map(str, error["loc"][1:])) == field for error in body["detail"])


@pytest.mark.parametrize("payload", [{}, {"customer_id": 1, "features": EXAMPLE_FEATURES}])
def test_predict_wants_exactly_one_of_customer_id_and_features(client: TestClient, payload: dict[str, Any]) -> None:
    response = client.post("/predict", json=payload)

    assert response.status_code == 422
    assert "give exactly one of customer_id or features" in response.json()["message"]


def test_one_order_customers_need_no_interpurchase_time() -> None:
    features = _features(frequency=1, avg_interpurchase_days=None, orders_last_30d=0, orders_last_90d=1)

    request = PredictRequest.model_validate({"features": features})

    assert request.features is not None and request.features.avg_interpurchase_days is None


def test_without_a_publication_every_endpoint_says_how_to_make_one(client: TestClient) -> None:
    for response in (client.get("/health"), client.get("/segments"), client.post("/predict", json={"customer_id": 1})):
        assert response.status_code == 503
        assert "no published warehouse at" in response.json()["detail"]
        assert "retail build" in response.json()["detail"]


@pytest.mark.parametrize(
    ("tables", "message"),
    [
        ("", "is not a complete publication"),
        (
            "create table reporting.customer_scores (customer_id varchar, "
            "segmentation_model_version bigint, churn_model_version bigint, ltv_model_version bigint, "
            "segmentation_run_id varchar, churn_run_id varchar, ltv_run_id varchar);",
            "reporting.customer_scores is empty",
        ),
    ],
)
def test_an_incomplete_publication_is_a_503_naming_the_file(
    client: TestClient, tmp_path: Path, tables: str, message: str
) -> None:
    """A file with a manifest but missing or empty tables (copied by hand, a build cut short) is refused."""
    published = tmp_path / "warehouse" / "published" / "retail.duckdb"
    published.parent.mkdir(parents=True)
    con = duckdb.connect(str(published))
    con.execute("create schema reporting")
    con.execute(
        f"create table reporting.publication as {MANIFEST_SELECT}",
        ["0" * 32, "2026-12-01 00:00:00", "2011-12-10", ["reporting.customer_scores"], [0]],
    )
    con.execute(tables)
    con.close()

    for response in (client.get("/health"), client.post("/predict", json={"customer_id": "17850"})):
        assert response.status_code == 503
        assert str(published) in response.json()["detail"] and message in response.json()["detail"]


def test_openapi_schema_documents_both_request_kinds_with_examples(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()

    examples = schema["paths"]["/predict"]["post"]["requestBody"]["content"]["application/json"]["examples"]
    assert examples["stored"]["value"] == {"customer_id": 17850}
    assert examples["features"]["value"]["features"] == EXAMPLE_FEATURES
    features = schema["components"]["schemas"]["CustomerFeatures"]
    assert features["properties"]["monetary"]["maximum"] == 1e9
    assert set(schema["paths"]) == {"/health", "/segments", "/customers/{customer_id}", "/predict", "/predict/batch"}


def test_with_an_api_key_every_data_endpoint_wants_it_and_health_does_not(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {"RETAIL_WAREHOUSE": str(tmp_path / "warehouse" / "retail.duckdb"), "RETAIL_API_KEY": "s3cret"}
    )
    client = TestClient(create_app(settings))
    requests = {
        "segments": lambda headers: client.get("/segments", headers=headers),
        "customer": lambda headers: client.get("/customers/17850", headers=headers),
        "predict": lambda headers: client.post("/predict", json={"customer_id": 1}, headers=headers),
        "batch": lambda headers: client.post("/predict/batch", json={"customer_ids": [1]}, headers=headers),
    }

    for name, send in requests.items():
        for headers in ({}, {"X-API-Key": "wrong"}, {"X-API-Key": "s3cret "}):
            response = send(headers)
            assert response.status_code == 401, (name, headers, response.text)
            assert "X-API-Key" in response.json()["detail"]
        # With the key the request gets through to the (missing) publication.
        response = send({"X-API-Key": "s3cret"})
        assert response.status_code == 503 and "no published warehouse" in response.json()["detail"], name
    assert client.get("/health").status_code == 503  # open: no publication yet, but no key asked


def test_batch_rejects_bad_rows_in_one_response_naming_each_row_without_echoing_the_input(client: TestClient) -> None:
    rows = [EXAMPLE_FEATURES] * 30
    rows[3] = _features(monetary=-5.0)
    rows[17] = _features(frequency="nine", return_rate=2.0)
    rows[29] = _features(recency_days="<omit>")

    response = client.post("/predict/batch", json={"features": rows})

    assert response.status_code == 422
    body = response.json()
    assert body["bad_rows"] == [3, 17, 29]
    message = body["message"]
    assert "features[3].monetary: Input should be greater than or equal to 0" in message
    assert "features[17].frequency: " in message and "features[17].return_rate: " in message
    assert "features[29].recency_days: Field required" in message
    assert message.count(";") == 3  # four problems, each said once
    assert "input" not in response.text and "3120.5" not in response.text


def test_batch_limits_rows_and_wants_exactly_one_kind(client: TestClient) -> None:
    too_many = client.post("/predict/batch", json={"customer_ids": list(range(10_001))})
    both = client.post("/predict/batch", json={"customer_ids": [1], "features": [EXAMPLE_FEATURES]})
    empty = client.post("/predict/batch", json={"customer_ids": []})

    assert too_many.status_code == 422
    assert "customer_ids: List should have at most 10000 items" in too_many.json()["message"]
    assert len(too_many.content) < 2_000  # the 10,001 ids are not sent back
    assert both.status_code == 422 and "give exactly one of customer_ids or features" in both.json()["message"]
    assert empty.status_code == 422 and "customer_ids: List should have at least 1 item" in empty.json()["message"]


def test_a_bad_request_body_is_not_echoed_back(client: TestClient) -> None:
    huge = {"customer_id": 1, "features": EXAMPLE_FEATURES, "note": "x" * 50_000}

    response = client.post("/predict", json=huge)

    assert response.status_code == 422
    assert len(response.content) < 2_000


def test_models_that_cannot_be_loaded_are_a_clear_error_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A registry without the published versions, or models pickled by older code, tell the reader what to run
    (the API answers 503 with it) instead of failing with a library's traceback."""
    from types import SimpleNamespace

    from models_py.errors import RetailError
    from models_py.ml.scoring import ScoringModels
    from models_py.serving.live import LivePublication

    live = LivePublication(tmp_path / "published.duckdb", f"sqlite:///{tmp_path / 'mlflow.db'}")
    loaded = SimpleNamespace(model_versions={"segmentation": 3, "churn": 3, "ltv": 3})
    with pytest.raises(RetailError, match="version 3 is not in the MLflow store"):
        live.models(loaded)  # type: ignore[arg-type]

    def unpickle(*_: object) -> None:
        # What cloudpickle raises for a model saved when the module had another path.
        raise ModuleNotFoundError("No module named 'models_py.segmentation'")

    monkeypatch.setattr(ScoringModels, "load", unpickle)
    with pytest.raises(
        RetailError, match=r"cannot be loaded \(No module named 'models_py.segmentation'\); run `retail build`"
    ):
        live.models(loaded)  # type: ignore[arg-type]
