"""What the scoring API serves: the latest publication, followed as new ones land.

Each request asks for the current publication. When the published file was
replaced since the last request (another inode after ``publish``'s rename),
the new one is opened; requests still running keep the connection they
started with, so one request never mixes two publications. The registered
models are loaded on first use and reused while the publication names the
same versions.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from models_py.errors import RetailError
from models_py.ml.evaluation import ContactEconomics
from models_py.ml.retraining import FAMILIES
from models_py.ml.scoring import ScoringModels
from models_py.publish import Publication, connect_published, one_row, read_publication, records

CUSTOMER_SQL = "select * from reporting.customer_scores where customer_id = ?"
CUSTOMERS_SQL = "select * from reporting.customer_scores where customer_id in (select unnest(cast(? as varchar[])))"
SEGMENTS_SQL = "select * from reporting.segment_summary order by segment_id"
VERSIONS_SQL = """
select
    max(segmentation_model_version) as segmentation,
    max(churn_model_version) as churn,
    max(ltv_model_version) as ltv,
    count(distinct segmentation_model_version) + count(distinct churn_model_version)
        + count(distinct ltv_model_version) as distinct_versions,
    max(segmentation_run_id) as segmentation_run_id,
    max(churn_run_id) as churn_run_id,
    max(ltv_run_id) as ltv_run_id
from reporting.customer_scores
"""
PARAMETERS_SQL = """
select
    high_value_ltv, high_risk_probability, ltv_horizon_days, as_of_date, new_customer_days,
    retention_incentive_cost, gross_margin, save_rate, retention_probability_floor
from reporting.retention_parameters
"""
PLAYBOOK_SQL = "select lifecycle_stage, value_tier, risk_tier, recommended_action from raw.retention_playbook"
LAPSED_SQL = """
select segment_id, max(lapsed_after_recency_days) as lapsed_after_recency_days
from reporting.customer_scores
group by segment_id
"""


@dataclass(frozen=True)
class Tiers:
    """The playbook cutoffs and contact economics of one build (``reporting.retention_parameters``) and its
    actions."""

    high_value_ltv: float
    high_risk_probability: float
    ltv_horizon_days: int
    new_customer_days: int
    lapsed_after_recency_days: dict[int, float]  # segment id -> customer_scores.lapsed_after_recency_days
    actions: dict[tuple[str, str, str], str]  # (lifecycle stage, value tier, risk tier) -> action
    economics: ContactEconomics

    def value_tier(self, predicted_ltv: float) -> str:
        # As reporting.customer_scores tiers customers.
        return "high" if predicted_ltv >= self.high_value_ltv else "low"

    def risk_tier(self, churn_probability: float) -> str:
        return "high" if churn_probability >= self.high_risk_probability else "low"

    def lifecycle_stage(self, segment_id: int, tenure_days: float, recency_days: float) -> str:
        # As reporting.customer_scores stages customers: new first, then lapsed against the segment's recency.
        if tenure_days < self.new_customer_days:
            return "new"
        return "lapsed" if recency_days > self.lapsed_after_recency_days[segment_id] else "active"

    def action(self, lifecycle_stage: str, value_tier: str, risk_tier: str) -> str:
        return self.actions[lifecycle_stage, value_tier, risk_tier]


@dataclass
class LoadedPublication:
    """One opened publication: its manifest, model versions and playbook cutoffs."""

    identity: tuple[int, int, int]
    connection: duckdb.DuckDBPyConnection
    publication: Publication
    model_versions: dict[str, int]
    model_run_ids: dict[str, str]
    tiers: Tiers
    as_of_date: date

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        # A cursor per request: DuckDB connections are not shared across threads.
        # A cursor starts in the in-memory catalog, not the attached publication.
        cursor = self.connection.cursor()
        try:
            cursor.execute(f'use "{self.publication.path.stem}"')
            yield cursor
        finally:
            cursor.close()

    def customer(self, customer_id: str) -> dict[str, Any] | None:
        with self.cursor() as cursor:
            rows = records(cursor, CUSTOMER_SQL, [customer_id])
        return rows[0] if rows else None

    def customers(self, customer_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The stored rows of the customers found, by customer id."""
        with self.cursor() as cursor:
            return {str(row["customer_id"]): row for row in records(cursor, CUSTOMERS_SQL, [customer_ids])}

    def segments(self) -> list[dict[str, Any]]:
        with self.cursor() as cursor:
            return records(cursor, SEGMENTS_SQL)


def _identity(path: Path) -> tuple[int, int, int]:
    stat = os.stat(path)
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


def _load(path: Path) -> LoadedPublication:
    # Identity before opening: if a new publication lands in between, the next
    # request sees another identity and reopens (never a stale identity kept).
    identity = _identity(path)
    con = connect_published(path)
    try:
        publication = read_publication(con, path)
        versions = records(con, VERSIONS_SQL)[0]
        if versions["distinct_versions"] != len(FAMILIES):
            raise RetailError(f"{path}: reporting.customer_scores is empty or was scored by several model versions")
        parameters = one_row(records(con, PARAMETERS_SQL), path, "reporting.retention_parameters")
        actions = {
            (row["lifecycle_stage"], row["value_tier"], row["risk_tier"]): row["recommended_action"]
            for row in records(con, PLAYBOOK_SQL)
        }
        lapsed = {int(row["segment_id"]): float(row["lapsed_after_recency_days"]) for row in records(con, LAPSED_SQL)}
    except (duckdb.Error, RetailError) as error:
        con.close()
        if isinstance(error, RetailError):
            raise
        raise RetailError(f"{path} is not a complete publication ({error}); run `retail publish`") from None
    return LoadedPublication(
        identity=identity,
        connection=con,
        publication=publication,
        model_versions={family: int(versions[family]) for family in FAMILIES},
        model_run_ids={family: str(versions[f"{family}_run_id"]) for family in FAMILIES},
        tiers=Tiers(
            high_value_ltv=float(parameters["high_value_ltv"]),
            high_risk_probability=float(parameters["high_risk_probability"]),
            ltv_horizon_days=int(parameters["ltv_horizon_days"]),
            new_customer_days=int(parameters["new_customer_days"]),
            lapsed_after_recency_days=lapsed,
            actions=actions,
            economics=ContactEconomics(
                incentive_cost=float(parameters["retention_incentive_cost"]),
                gross_margin=float(parameters["gross_margin"]),
                save_rate=float(parameters["save_rate"]),
                retention_probability_floor=float(parameters["retention_probability_floor"]),
            ),
        ),
        as_of_date=parameters["as_of_date"],
    )


def _load_models(tracking_uri: str, versions: dict[str, int]) -> ScoringModels:
    try:
        return ScoringModels.load(tracking_uri, versions)
    except RetailError:
        raise
    except Exception as error:  # MLflow, unpickling (a model saved by older code): all mean the same to a reader
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise RetailError(
            f"the registered models {versions} in {tracking_uri} cannot be loaded ({reason}); "
            "run `retail build` to train and publish models this code can read"
        ) from None


@dataclass
class LivePublication:
    """The latest publication at ``path`` and the models that scored it."""

    path: Path
    tracking_uri: str
    _current: LoadedPublication | None = None
    _models: dict[tuple[int, ...], ScoringModels] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def current(self) -> LoadedPublication:
        """The publication now at ``path``, reopened if it was replaced since the last call."""
        try:
            identity = _identity(self.path)
        except FileNotFoundError:
            raise RetailError(
                f"no published warehouse at {self.path}: `retail build` publishes one after a successful build"
            ) from None
        current = self._current
        if current is not None and current.identity == identity:
            return current
        with self._lock:
            if self._current is None or self._current.identity != _identity(self.path):
                # The previous connection is left to close when its last request ends.
                self._current = _load(self.path)
            return self._current

    def models(self, loaded: LoadedPublication) -> ScoringModels:
        key = tuple(loaded.model_versions[family] for family in FAMILIES)
        with self._lock:
            if key not in self._models:
                # Only the versions of the latest publication are kept in memory.
                self._models = {key: _load_models(self.tracking_uri, loaded.model_versions)}
            return self._models[key]

    def score(self, loaded: LoadedPublication, features: Mapping[str, float | None]) -> dict[str, Any]:
        """Scores, tiers and action for one customer's features."""
        return self.score_many(loaded, [features])[0]

    def score_many(self, loaded: LoadedPublication, rows: list[Mapping[str, float | None]]) -> list[dict[str, Any]]:
        """Scores, tiers and action per feature row, the models run once over all rows."""
        frame = pd.DataFrame([dict(row) for row in rows]).astype("float64")
        scored_rows = self.models(loaded).score(frame)
        economics = loaded.tiers.economics
        probabilities = scored_rows["churn_probability"].to_numpy()
        predicted_ltv = scored_rows["predicted_ltv"].to_numpy()
        scored_rows["value_at_risk"] = economics.value_at_risk(probabilities, predicted_ltv)
        scored_rows["expected_value_of_contact"] = economics.expected_value(probabilities, predicted_ltv)
        # A feature row is no part of the build's campaign: worth contacting is the whole rule (no budget).
        scored_rows["is_contact_recommended"] = scored_rows["expected_value_of_contact"] > 0
        results = []
        for (_, scored), (_, row) in zip(scored_rows.iterrows(), frame.iterrows(), strict=True):
            # .item(): plain Python values, not numpy scalars
            scores = {str(name): value.item() if hasattr(value, "item") else value for name, value in scored.items()}
            stage = loaded.tiers.lifecycle_stage(scores["segment_id"], row["tenure_days"], row["recency_days"])
            value_tier = loaded.tiers.value_tier(scores["predicted_ltv"])
            risk_tier = loaded.tiers.risk_tier(scores["churn_probability"])
            results.append(
                {
                    **scores,
                    "lifecycle_stage": stage,
                    "value_tier": value_tier,
                    "risk_tier": risk_tier,
                    "recommended_action": loaded.tiers.action(stage, value_tier, risk_tier),
                    "ltv_horizon_days": loaded.tiers.ltv_horizon_days,
                }
            )
        return results
