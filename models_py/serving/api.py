"""The scoring API (FastAPI): stored scores by customer, ad-hoc scores from features.

Reads only the published warehouse (never the file dbt writes, so it never
blocks a build) and the MLflow store for the model versions that scored it.
Start it with ``retail serve``; the OpenAPI schema is at ``/openapi.json`` and
the interactive docs at ``/docs``. With an API key configured (RETAIL_API_KEY),
every data endpoint wants it in the ``X-API-Key`` header; ``/health``, the
schema and the docs stay open (they hold no customer data).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import date, datetime
from typing import Annotated, Any, Literal, Self

from fastapi import APIRouter, Body, Depends, FastAPI, HTTPException, Request, Security
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from models_py.errors import RetailError
from models_py.ml.scoring import CHURN_REASON_COLUMNS
from models_py.serving.live import LivePublication, LoadedPublication
from models_py.settings import Settings

MAX_DAYS = 36_500  # a hundred years of history
MAX_COUNT = 1_000_000
MAX_AMOUNT = 1e9
MAX_BATCH = 10_000
# A 422 names at most this many problems in its message (the rest are counted).
_MAX_PROBLEMS = 20

EXAMPLE_FEATURES: dict[str, Any] = {
    "recency_days": 12,
    "frequency": 9,
    "monetary": 3120.5,
    "avg_order_value": 346.72,
    "avg_items_per_order": 180.0,
    "unique_products": 64,
    "avg_unit_price": 2.95,
    "tenure_days": 320,
    "purchase_span_days": 308,
    "avg_interpurchase_days": 38.5,
    "orders_last_30d": 1,
    "orders_last_90d": 3,
    "monetary_last_90d": 1040.0,
    "monetary_prior_90d": 860.0,
    "spend_trend": 0.0947,
    "cancelled_orders": 1,
    "return_rate": 0.02,
}


def _days(description: str) -> Any:
    return Field(ge=0, le=MAX_DAYS, description=f"{description} (days, 0 to {MAX_DAYS:,}).")


class CustomerFeatures(BaseModel):
    """A customer's features as of a cutoff, as in ``marts.customer_features``."""

    model_config = ConfigDict(
        strict=True, extra="forbid", allow_inf_nan=False, json_schema_extra={"examples": [EXAMPLE_FEATURES]}
    )

    frequency: int = Field(ge=1, le=MAX_COUNT, description="Orders before the cutoff (at least 1).")
    tenure_days: int = _days("Days since the first order")
    recency_days: int = _days("Days since the last order")
    purchase_span_days: int = _days("Days between the first and the last order")
    avg_interpurchase_days: float | None = Field(
        default=None,
        ge=0,
        le=MAX_DAYS,
        validate_default=True,
        description="Mean days between orders; null (or omitted) only for one-order customers.",
    )
    monetary: float = Field(ge=0, le=MAX_AMOUNT, description="Spend before the cutoff.")
    avg_order_value: float = Field(ge=0, le=MAX_AMOUNT, description="monetary / frequency.")
    avg_items_per_order: float = Field(ge=0, le=MAX_COUNT, description="Items (quantity) per order.")
    unique_products: int = Field(ge=0, le=MAX_COUNT, description="Distinct products bought.")
    avg_unit_price: float = Field(ge=0, le=MAX_AMOUNT, description="Mean unit price of the lines bought.")
    orders_last_30d: int = Field(ge=0, le=MAX_COUNT, description="Orders in the 30 days before the cutoff.")
    orders_last_90d: int = Field(ge=0, le=MAX_COUNT, description="Orders in the 90 days before the cutoff.")
    monetary_last_90d: float = Field(ge=0, le=MAX_AMOUNT, description="Spend in the 90 days before the cutoff.")
    monetary_prior_90d: float = Field(ge=0, le=MAX_AMOUNT, description="Spend in the 90 days before those.")
    spend_trend: float = Field(ge=-1, le=1, description="(last 90d - prior 90d) / (last 90d + prior 90d), 0 if none.")
    cancelled_orders: int = Field(ge=0, le=MAX_COUNT, description="Cancelled orders (C invoices).")
    return_rate: float = Field(ge=0, le=1, description="Returned amount / (spend + returned amount).")

    @field_validator("recency_days", "purchase_span_days")
    @classmethod
    def _within_tenure(cls, value: int, info: ValidationInfo) -> int:
        tenure = info.data.get("tenure_days")
        if tenure is not None and value > tenure:
            raise ValueError(f"must not exceed tenure_days ({tenure})")
        return value

    @field_validator("avg_interpurchase_days")
    @classmethod
    def _needs_repeat_orders(cls, value: float | None, info: ValidationInfo) -> float | None:
        frequency = info.data.get("frequency")
        if value is None and frequency is not None and frequency > 1:
            raise ValueError(f"is required when frequency > 1 (got frequency {frequency})")
        return value

    @field_validator("orders_last_30d", "orders_last_90d")
    @classmethod
    def _within_frequency(cls, value: int, info: ValidationInfo) -> int:
        frequency = info.data.get("frequency")
        if frequency is not None and value > frequency:
            raise ValueError(f"must not exceed frequency ({frequency})")
        last_30d = info.data.get("orders_last_30d")
        if info.field_name == "orders_last_90d" and last_30d is not None and value < last_30d:
            raise ValueError(f"must be at least orders_last_30d ({last_30d})")
        return value


class PredictRequest(BaseModel):
    """Either a known customer (stored scores) or a feature row (scored by the current models)."""

    model_config = ConfigDict(extra="forbid")

    customer_id: int | str | None = Field(default=None, description="A customer in the latest publication.")
    features: CustomerFeatures | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if (self.customer_id is None) == (self.features is None):
            raise ValueError("give exactly one of customer_id or features")
        return self


class BatchRequest(BaseModel):
    """Up to 10,000 known customers, or up to 10,000 feature rows."""

    model_config = ConfigDict(extra="forbid")

    customer_ids: list[int | str] | None = Field(
        default=None, min_length=1, max_length=MAX_BATCH, description="Customers in the latest publication."
    )
    features: list[CustomerFeatures] | None = Field(
        default=None, min_length=1, max_length=MAX_BATCH, description="Feature rows, scored by the current models."
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if (self.customer_ids is None) == (self.features is None):
            raise ValueError("give exactly one of customer_ids or features")
        return self


class Scores(BaseModel):
    segment_id: int
    segment_name: str
    churn_probability: float = Field(description="Probability of no order in the next churn horizon.")
    predicted_ltv: float = Field(description="Expected spend in the next ltv_horizon_days.")
    ltv_horizon_days: int
    value_at_risk: float = Field(
        description="Expected spend in the horizon if the customer stays: predicted_ltv / (1 - churn_probability)."
    )
    expected_value_of_contact: float = Field(
        description="churn_probability x save_rate x value_at_risk x gross_margin - incentive cost."
    )
    is_contact_recommended: bool = Field(
        description="Worth contacting: a positive expected value of contact (and, for stored customers, within "
        "the build's campaign_budget)."
    )
    churn_reasons: list[str] = Field(
        description="The three strongest drivers of churn_probability, in words with the customer's own numbers."
    )
    lifecycle_stage: Literal["new", "active", "lapsed"] = Field(
        description="new: first order less than new_customer_days ago; lapsed: quiet for longer than most of the "
        "segment (or than lapsed_after_days); active: the rest."
    )
    value_tier: Literal["high", "low"]
    risk_tier: Literal["high", "low"]
    recommended_action: str = Field(description="The playbook's action for the lifecycle stage, value and risk tiers.")
    rfm_segment: str | None = Field(
        default=None,
        description="Named RFM segment (Champions, At risk, ...); stored customers only: RFM scores rank a customer "
        "among all customers of the build.",
    )
    is_lapsed: bool | None = Field(
        default=None,
        description="No order for longer than most of the customer's segment or than lapsed_after_days; stored "
        "customers only.",
    )
    probability_alive: float | None = Field(
        default=None, description="BG/NBD probability the customer is still active; stored customers only."
    )
    expected_orders_next_horizon: float | None = Field(
        default=None, description="BG/NBD expected orders in the next ltv_horizon_days; stored customers only."
    )
    next_order_expected_on: date | None = Field(
        default=None,
        description="Expected date of the next order if the customer is still active; stored customers only.",
    )


class Prediction(Scores):
    source: Literal["stored", "model"] = Field(
        description="stored: the customer's scores from the latest build; model: scored now from the features."
    )
    customer_id: str | None
    as_of_date: date
    model_versions: dict[str, int] = Field(description="Registered MLflow model version per family.")


class BatchPrediction(BaseModel):
    predictions: list[Prediction] = Field(description="In request order; customers not found are left out.")
    not_found: list[str] = Field(description="Requested customer ids that are not in the publication.")


class ModelInfo(BaseModel):
    version: int
    run_id: str


class Health(BaseModel):
    status: Literal["ok"]
    publication_id: str
    published_at: datetime
    as_of_date: date
    models: dict[str, ModelInfo]


PREDICT_EXAMPLES = {
    "stored": {"summary": "A known customer: stored scores", "value": {"customer_id": 17850}},
    "features": {"summary": "A feature row: scored by the current models", "value": {"features": EXAMPLE_FEATURES}},
}
BATCH_EXAMPLES = {
    "stored": {"summary": "Known customers: stored scores", "value": {"customer_ids": [17850, 12583]}},
    "features": {"summary": "Feature rows: scored by the current models", "value": {"features": [EXAMPLE_FEATURES]}},
}


def _field_path(location: Sequence[int | str]) -> str:
    """``features[3].monetary`` from pydantic's ``("body", "features", 3, "monetary")``."""
    path = ""
    for part in location:
        if part == "body":
            continue
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "body"


def validation_response(errors: Sequence[Any]) -> JSONResponse:
    """One readable line per bad field, the bad batch rows, and the errors without the input echoed back."""
    problems: dict[str, str] = {}
    bad_rows: set[int] = set()
    for error in errors:
        location = tuple(error["loc"])
        problems.setdefault(f"{_field_path(location)}: {error['msg']}", "")
        bad_rows.update(part for part in location[2:3] if isinstance(part, int))
    lines = list(problems)
    message = "; ".join(lines[:_MAX_PROBLEMS])
    if len(lines) > _MAX_PROBLEMS:
        message += f"; and {len(lines) - _MAX_PROBLEMS} more"
    content: dict[str, Any] = {
        "message": message,
        "detail": [{"loc": list(error["loc"]), "msg": error["msg"], "type": error["type"]} for error in errors[:100]],
    }
    if bad_rows:
        content["bad_rows"] = sorted(bad_rows)
    return JSONResponse(status_code=422, content=content)


def _require_key(expected: str | None) -> Any:
    """A dependency refusing requests without the configured API key (none configured: all pass)."""

    def check(given: Annotated[str | None, Security(APIKeyHeader(name="X-API-Key", auto_error=False))]) -> None:
        if expected is not None and not (given and secrets.compare_digest(given.encode(), expected.encode())):
            raise HTTPException(
                401, "missing or wrong API key: send it in the X-API-Key header", {"WWW-Authenticate": "APIKey"}
            )

    return check


def _prediction(loaded: LoadedPublication, source: Literal["stored", "model"], **values: Any) -> Prediction:
    values["churn_reasons"] = [values[name] for name in CHURN_REASON_COLUMNS if values.get(name)]
    return Prediction(
        source=source,
        as_of_date=loaded.as_of_date,
        model_versions=loaded.model_versions,
        # Fields a feature row cannot have (RFM ranks among a build's customers) are left at their default.
        **{name: values[name] for name in (*Scores.model_fields, "customer_id") if name in values},
    )


def create_app(settings: Settings) -> FastAPI:
    """The API over ``settings.published_path`` and ``settings.tracking_uri``."""
    live = LivePublication(settings.published_path, settings.tracking_uri)
    app = FastAPI(
        title="retail-retention scoring API",
        version="1",
        description="Segments, churn probability, predicted LTV and retention actions from the published warehouse.",
    )

    @app.exception_handler(RetailError)
    async def _unavailable(request: Request, error: RetailError) -> JSONResponse:
        return JSONResponse(status_code=503, content={"detail": str(error)})

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        return validation_response(error.errors())

    data = APIRouter(dependencies=[Depends(_require_key(settings.api_key))])

    @app.get("/health", response_model=Health, summary="Publication and model versions being served")
    def health() -> Health:
        loaded = live.current()
        return Health(
            status="ok",
            publication_id=loaded.publication.publication_id,
            published_at=loaded.publication.published_at,
            as_of_date=loaded.as_of_date,
            models={
                family: ModelInfo(version=version, run_id=loaded.model_run_ids[family])
                for family, version in loaded.model_versions.items()
            },
        )

    @data.get("/segments", summary="Every segment: size, value, risk and action (reporting.segment_summary)")
    def segments() -> list[dict[str, Any]]:
        segments: list[dict[str, Any]] = jsonable_encoder(live.current().segments())
        return segments

    @data.get(
        "/customers/{customer_id}",
        summary="One customer's features and scores (reporting.customer_scores)",
        responses={404: {"description": "Unknown customer"}},
    )
    def customer(customer_id: str) -> dict[str, Any]:
        loaded = live.current()
        row = loaded.customer(customer_id)
        if row is None:
            raise HTTPException(404, _unknown(customer_id, loaded))
        encoded: dict[str, Any] = jsonable_encoder(row)
        return encoded

    @data.post(
        "/predict",
        response_model=Prediction,
        summary="Scores for a known customer, or for a feature row",
        responses={404: {"description": "Unknown customer"}, 422: {"description": "Invalid request or features"}},
    )
    def predict(request: Annotated[PredictRequest, Body(openapi_examples=PREDICT_EXAMPLES)]) -> Prediction:
        loaded = live.current()
        if request.features is not None:
            scores = live.score(loaded, request.features.model_dump())
            return _prediction(loaded, "model", customer_id=None, **scores)
        customer_id = str(request.customer_id)
        row = loaded.customer(customer_id)
        if row is None:
            raise HTTPException(404, _unknown(customer_id, loaded))
        return _prediction(loaded, "stored", **row)

    @data.post(
        "/predict/batch",
        response_model=BatchPrediction,
        summary="Scores for up to 10,000 known customers, or for up to 10,000 feature rows",
        responses={422: {"description": "Invalid request; bad_rows lists the rows at fault"}},
    )
    def predict_batch(request: Annotated[BatchRequest, Body(openapi_examples=BATCH_EXAMPLES)]) -> BatchPrediction:
        loaded = live.current()
        if request.features is not None:
            scored = live.score_many(loaded, [row.model_dump() for row in request.features])
            return BatchPrediction(
                predictions=[_prediction(loaded, "model", customer_id=None, **scores) for scores in scored],
                not_found=[],
            )
        customer_ids = [str(customer_id) for customer_id in request.customer_ids or ()]
        rows = loaded.customers(customer_ids)
        return BatchPrediction(
            predictions=[_prediction(loaded, "stored", **rows[cid]) for cid in customer_ids if cid in rows],
            not_found=[cid for cid in customer_ids if cid not in rows],
        )

    app.include_router(data)
    return app


def _unknown(customer_id: str, loaded: LoadedPublication) -> str:
    return (
        f"customer {customer_id!r} is not in the publication of {loaded.as_of_date} "
        "(customers need an order before as_of_date); send their features to score them"
    )
