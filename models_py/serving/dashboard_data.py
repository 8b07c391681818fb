"""What the dashboard shows, as queries on a publication (or the replay's): one function per panel.

Every function takes a read-only connection (a cursor of the live publication)
and returns plain values or DataFrames; the pages only lay them out. Values
from the user (ids, filters, a feature name) reach SQL as parameters, or, for a
column name, only after it was checked against the table's own columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import duckdb
import pandas as pd

from models_py.errors import RetailError
from models_py.ingest.mapping import quote_identifier

# What a distribution can be drawn for: the customer's inputs (marts.customer_features) and scores
# (reporting.customer_scores).
DISTRIBUTION_INPUTS = (
    "recency_days",
    "frequency",
    "monetary",
    "avg_order_value",
    "unique_products",
    "tenure_days",
    "avg_interpurchase_days",
    "orders_last_90d",
    "monetary_last_90d",
    "spend_trend",
    "return_rate",
)
DISTRIBUTION_SCORES = (
    "churn_probability",
    "predicted_ltv",
    "probability_alive",
    "expected_churn_loss",
    "expected_value_of_contact",
)
DISTRIBUTION_FEATURES = (*DISTRIBUTION_INPUTS, *DISTRIBUTION_SCORES)
AT_RISK_COLUMNS = (
    "customer_id",
    "segment_name",
    "lifecycle_stage",
    "value_tier",
    "risk_tier",
    "churn_probability",
    "predicted_ltv",
    "expected_churn_loss",
    "expected_value_of_contact",
    "is_contact_recommended",
    "recommended_action",
    "churn_reason_1",
    "churn_reason_2",
    "churn_reason_3",
)


def _frame(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[object] = ()) -> pd.DataFrame:
    return con.execute(sql, list(params)).df()


def _row(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[object] = ()) -> dict[str, Any]:
    result = con.execute(sql, list(params))
    columns = [column[0] for column in result.description or ()]
    row = result.fetchone()
    return dict(zip(columns, row, strict=True)) if row else {}


def has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    row = con.execute(
        "select count(*) from information_schema.tables where table_catalog = current_database() "
        "and table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    return bool(row and row[0])


@dataclass(frozen=True)
class Overview:
    kpis: dict[str, Any]
    freshness: dict[str, Any]
    models: pd.DataFrame  # family, version, run id, trained as of, retrained this build
    drift: pd.DataFrame  # status -> checks, at the latest as_of_date
    data_quality: pd.DataFrame


KPI_SQL = """
with scores as (
    select
        count(*) as customers,
        sum(monetary) as revenue,
        sum(predicted_ltv) as predicted_ltv,
        sum(expected_churn_loss) as expected_churn_loss,
        count(*) filter (where is_contact_recommended) as contacts,
        sum(expected_saved_margin) filter (where is_contact_recommended) as saved_margin,
        max(ltv_horizon_days) as ltv_horizon_days
    from reporting.customer_scores
),

parameters as (
    select retention_incentive_cost, gross_margin, save_rate, campaign_budget
    from reporting.retention_parameters
)

select
    scores.customers,
    scores.revenue,
    scores.predicted_ltv,
    scores.ltv_horizon_days,
    scores.expected_churn_loss,
    scores.contacts,
    scores.contacts * parameters.retention_incentive_cost as contact_cost,
    coalesce(scores.saved_margin, 0) as expected_saved_margin,
    case when scores.contacts > 0
        then (coalesce(scores.saved_margin, 0) - scores.contacts * parameters.retention_incentive_cost)
            / (scores.contacts * parameters.retention_incentive_cost)
    end as expected_roi,
    parameters.retention_incentive_cost,
    parameters.gross_margin,
    parameters.save_rate,
    parameters.campaign_budget
from scores
cross join parameters
"""

MODELS_SQL = """
select
    plan.family,
    plan.retrain,
    plan.reason,
    case plan.family
        when 'segmentation' then max(scores.segmentation_model_version)
        when 'churn' then max(scores.churn_model_version)
        else max(scores.ltv_model_version)
    end as model_version,
    case plan.family
        when 'segmentation' then max(scores.segmentation_run_id)
        when 'churn' then max(scores.churn_run_id)
        else max(scores.ltv_run_id)
    end as mlflow_run_id
from ml.retraining_plan as plan
cross join reporting.customer_scores as scores
group by plan.family, plan.retrain, plan.reason
order by plan.family
"""

DRIFT_STATUS_SQL = """
select status, count(*) as checks, string_agg(coalesce(feature, check_name), ', ' order by value desc) as what
from reporting.drift_report
where as_of_date = (select max(as_of_date) from reporting.drift_report)
group by status
order by status
"""

DATA_QUALITY_SQL = """
select rule_name, is_dropped, rows_affected, share_of_raw_rows, amount_affected, why_dropped, cost_of_keeping
from marts.data_quality
order by rule_order
"""


def overview(con: duckdb.DuckDBPyConnection) -> Overview:
    manifest = _row(
        con,
        "select min(publication_id) as publication_id, min(published_at) as published_at, "
        "min(as_of_date) as as_of_date from reporting.publication",
    )
    return Overview(
        kpis=_row(con, KPI_SQL),
        freshness=manifest,
        models=_frame(con, MODELS_SQL),
        drift=_frame(con, DRIFT_STATUS_SQL),
        data_quality=_frame(con, DATA_QUALITY_SQL),
    )


def drift_level(drift: pd.DataFrame) -> str:
    """The worst status of the latest drift checks: error, warn, ok (or not graded)."""
    statuses = set(drift["status"]) if not drift.empty else set()
    for level in ("error", "warn", "ok"):
        if level in statuses:
            return level
    return "not graded" if statuses else "no checks yet"


# --- segments ---------------------------------------------------------------------------------------------------


def segments(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return _frame(
        con,
        """
        select
            segment_id, segment_name, customers, customer_share, revenue_share, lifecycle_stage, value_tier,
            risk_tier, recommended_action, mean_recency_days, mean_frequency, mean_monetary, mean_order_value,
            mean_tenure_days, mean_churn_probability, mean_predicted_ltv, contact_recommended_customers,
            expected_net_benefit
        from reporting.segment_summary
        order by segment_id
        """,
    )


def feature_values(con: duckdb.DuckDBPyConnection, feature: str, segment_ids: Sequence[int]) -> pd.DataFrame:
    """One row per customer of the chosen segments: segment name and the feature's value."""
    if feature not in DISTRIBUTION_FEATURES:
        raise RetailError(f"no distribution for {feature!r}; choose one of {', '.join(DISTRIBUTION_FEATURES)}")
    column = f"{'inputs' if feature in DISTRIBUTION_INPUTS else 'scores'}.{quote_identifier(feature)}"
    return _frame(
        con,
        f"""
        select scores.segment_id, scores.segment_name, cast({column} as double) as value
        from reporting.customer_scores as scores
        inner join marts.customer_features as inputs on inputs.customer_id = scores.customer_id
        where scores.segment_id in (select unnest(cast(? as bigint[]))) and {column} is not null
        order by scores.segment_id, scores.customer_id
        """,
        [list(segment_ids)],
    )


def embedding(con: duckdb.DuckDBPyConnection, segment_ids: Sequence[int]) -> pd.DataFrame:
    return _frame(
        con,
        """
        select
            embedding.customer_id, embedding.x, embedding.y, embedding.method,
            scores.segment_id, scores.segment_name, scores.churn_probability, scores.predicted_ltv,
            scores.recommended_action
        from ml.customer_embedding as embedding
        inner join reporting.customer_scores as scores using (customer_id)
        where scores.segment_id in (select unnest(cast(? as bigint[])))
        order by embedding.customer_id
        """,
        [list(segment_ids)],
    )


def segment_features_sample(con: duckdb.DuckDBPyConnection, size: int, seed: int) -> pd.DataFrame:
    """A repeatable random sample of the current customers' features (for comparing algorithms)."""
    if size < 20:
        raise RetailError(f"the sample needs at least 20 customers, got {size}")
    return _frame(
        con,
        f"select * from marts.customer_features using sample reservoir({int(size)} rows) repeatable ({int(seed)}) "
        "order by customer_id",
    )


# --- customers --------------------------------------------------------------------------------------------------


def find_customers(con: duckdb.DuckDBPyConnection, text: str, limit: int = 20) -> list[str]:
    """Customer ids containing ``text`` (case-insensitive), exact match first."""
    rows = con.execute(
        """
        select customer_id from reporting.customer_scores
        where contains(lower(customer_id), lower(?))
        order by customer_id <> ?, length(customer_id), customer_id
        limit ?
        """,
        [text.strip(), text.strip(), limit],
    ).fetchall()
    return [str(row[0]) for row in rows]


@dataclass(frozen=True)
class CustomerView:
    scores: dict[str, Any]  # reporting.customer_scores, with the RFM segment
    features: dict[str, Any]  # marts.customer_features: every input of the models
    segment_history: pd.DataFrame
    score_history: pd.DataFrame


def customer(con: duckdb.DuckDBPyConnection, customer_id: str) -> CustomerView | None:
    scores = _row(
        con,
        """
        select scores.*, segment_rfm.rfm_segment
        from reporting.customer_scores as scores
        left join (select customer_id, rfm_segment from marts.customer_rfm) as segment_rfm using (customer_id)
        where scores.customer_id = ?
        """
        if has_table(con, "marts", "customer_rfm")
        else "select * from reporting.customer_scores where customer_id = ?",
        [customer_id],
    )
    if not scores:
        return None
    history = _frame(
        con,
        """
        select segment_id, segment_name, model_version, as_of_date, dbt_valid_from, dbt_valid_to
        from reporting.snp_customer_segments
        where customer_id = ?
        order by dbt_valid_from
        """,
        [customer_id],
    )
    builds = _frame(
        con,
        """
        select as_of_date, segment_name, churn_probability, predicted_ltv, risk_tier, is_contact_recommended
        from reporting.score_history
        where customer_id = ?
        order by as_of_date
        """,
        [customer_id],
    )
    features = _row(
        con, "select * exclude (customer_id) from marts.customer_features where customer_id = ?", [customer_id]
    )
    return CustomerView(scores, features, history, builds)


@dataclass(frozen=True)
class AtRiskFilter:
    segment_ids: tuple[int, ...] = ()  # empty: every segment
    value_tiers: tuple[str, ...] = ("high", "low")
    risk_tiers: tuple[str, ...] = ("high",)
    min_expected_loss: float = 0.0
    contact_recommended_only: bool = False


_AT_RISK_WHERE = """
    (len(cast(? as bigint[])) = 0 or segment_id in (select unnest(cast(? as bigint[]))))
    and value_tier in (select unnest(cast(? as varchar[])))
    and risk_tier in (select unnest(cast(? as varchar[])))
    and expected_churn_loss >= ?
    and (not ? or is_contact_recommended)
"""


def _at_risk_params(chosen: AtRiskFilter) -> list[object]:
    return [
        list(chosen.segment_ids),
        list(chosen.segment_ids),
        list(chosen.value_tiers),
        list(chosen.risk_tiers),
        chosen.min_expected_loss,
        chosen.contact_recommended_only,
    ]


def at_risk(con: duckdb.DuckDBPyConnection, chosen: AtRiskFilter) -> pd.DataFrame:
    """Customers matching the filter, the largest expected churn loss first."""
    columns = ", ".join(AT_RISK_COLUMNS)
    return _frame(
        con,
        f"""
        select {columns}
        from reporting.customer_scores
        where {_AT_RISK_WHERE}
        order by expected_churn_loss desc, customer_id
        """,
        _at_risk_params(chosen),
    )


def at_risk_by_segment(con: duckdb.DuckDBPyConnection, chosen: AtRiskFilter) -> pd.DataFrame:
    """The filtered customers per segment: how many, their expected churn loss (rows sorted by it)."""
    return _frame(
        con,
        f"""
        select segment_name, count(*) as customers, sum(expected_churn_loss) as expected_churn_loss
        from reporting.customer_scores
        where {_AT_RISK_WHERE}
        group by segment_name
        order by expected_churn_loss desc, segment_name
        """,
        _at_risk_params(chosen),
    )


# --- movements --------------------------------------------------------------------------------------------------


def order_dates(con: duckdb.DuckDBPyConnection) -> tuple[date, date]:
    """The first and the last day with a kept order."""
    row = con.execute("select min(order_date), max(order_date) from marts.fct_orders").fetchone()
    if row is None or row[0] is None:
        raise RetailError("marts.fct_orders holds no orders")
    return _as_date(row[0]), _as_date(row[1])


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def size_history(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return _frame(
        con,
        """
        select
            as_of_date, segment_id,
            -- a refit may rename a segment; its id stays: label each id with its latest name
            last(segment_name order by as_of_date) over (partition by segment_id) as segment_name,
            customers, mean_churn_probability, total_predicted_ltv
        from reporting.segment_size_history
        order by as_of_date, segment_id
        """,
    )


def transitions(con: duckdb.DuckDBPyConnection, since: date | None = None) -> pd.DataFrame:
    """Customers per move between segments (ids, latest names), optionally only moves on or after ``since``."""
    return _frame(
        con,
        """
        select
            from_segment_id, arg_max(from_segment_name, moved_on) as from_segment_name,
            to_segment_id, arg_max(to_segment_name, moved_on) as to_segment_name,
            sum(customers) as customers, count(distinct moved_on) as dates
        from reporting.segment_transition_matrix
        where ? is null or moved_on >= ?
        group by from_segment_id, to_segment_id
        order by customers desc, from_segment_id, to_segment_id
        """,
        [since, since],
    )


# --- models -----------------------------------------------------------------------------------------------------


def latest_metrics(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The validation metrics of the models that scored this build and their baselines, one row per model."""
    frame = _frame(
        con,
        """
        select model_family, model_name, metric, value, as_of_date
        from ml.model_metrics
        where split = 'validation'
            and metric in ('roc_auc', 'pr_auc', 'brier', 'log_loss', 'mae', 'rmse', 'spearman',
                'top_decile_capture')
        order by model_family, model_name
        """,
    )
    if frame.empty:
        return frame
    wide = frame.pivot_table(index=["model_family", "model_name", "as_of_date"], columns="metric", values="value")
    return wide.reset_index().rename_axis(columns=None)


def calibration(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The chosen churn model's reliability on validation: per probability bin, mean predicted and observed."""
    return _frame(
        con,
        """
        select
            cast(regexp_extract(metric, 'calibration_bin_(\\d+)_', 1) as integer) as bin,
            max(value) filter (where metric like '%_predicted') as mean_predicted,
            max(value) filter (where metric like '%_observed') as observed_rate
        from ml.model_metrics
        where model_family = 'churn' and model_name = 'chosen' and metric like 'calibration_bin_%'
        group by 1
        order by 1
        """,
    )


def net_benefit_curve(con: duckdb.DuckDBPyConnection) -> tuple[pd.DataFrame, float | None]:
    """Realised net benefit on validation of contacting everyone at or above each threshold, and the chosen
    threshold (the best one; ``ml.churn_scores.decision_threshold``)."""
    curve = _frame(
        con,
        """
        select cast(regexp_extract(metric, 'net_benefit_at_(\\d+)', 1) as integer) / 100.0 as threshold,
            value as net_benefit
        from ml.model_metrics
        where model_family = 'churn' and model_name = 'chosen' and metric like 'net_benefit_at_%'
        order by threshold
        """,
    )
    chosen = _row(
        con,
        "select max(value) as threshold from ml.model_metrics "
        "where model_family = 'churn' and model_name = 'chosen' and metric = 'decision_threshold'",
    )
    return curve, chosen.get("threshold")


def model_performance(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return _frame(
        con,
        """
        select scored_as_of_date, churn_model_version, customers, churn_rate, realised_roc_auc,
            validation_roc_auc, relative_change, status, evaluated_as_of_date
        from reporting.model_performance
        order by scored_as_of_date
        """,
    )


def drift_report(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The latest build's drift checks, the largest statistic first."""
    return _frame(
        con,
        """
        select check_name, feature, statistic, value, status, warn_threshold, error_threshold, as_of_date
        from reporting.drift_report
        where as_of_date = (select max(as_of_date) from reporting.drift_report)
        order by check_name, value desc nulls last
        """,
    )


# --- data -------------------------------------------------------------------------------------------------------


def loads(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    if not has_table(con, "raw", "loads"):
        return pd.DataFrame()
    return _frame(
        con,
        """
        select load_id, mode, source_file, row_count, bad_row_count, loaded_at, encoding, datetime_format, file_sha256,
            load_id >= (select coalesce(max(load_id), 0) from raw.loads where mode = 'replace') as is_current
        from raw.loads
        order by load_id desc
        """,
    )


def published_at(con: duckdb.DuckDBPyConnection) -> datetime | None:
    row = con.execute("select min(published_at) from reporting.publication").fetchone()
    return row[0] if row else None
