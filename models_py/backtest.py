"""Accuracy on the real future: build at past dates with only the data before them, then compare the
scores with what the customers did in the next H days.

Each date gets its own warehouse (a copy of the loaded raw rows), MLflow store
and publication under ``<warehouse folder>/backtest/``, so every date trains
from scratch and the user's warehouse is only read. The build itself never
reads a row at or after its as_of_date (tested); only the measurement here
looks past it. Validation-snapshot metrics choose models; these are the
numbers to quote.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd

from models_py.dbt_runner import DbtSession, production_build
from models_py.errors import RetailError
from models_py.ingest.loading import create_raw_tables
from models_py.ml.bgnbd import PurchaseModels
from models_py.ml.evaluation import classification_metrics, expected_calibration_error, regression_metrics
from models_py.settings import Settings, default_published_path, project_var
from models_py.warehouse import connect, table_exists

RESULTS_TABLE = "backtest_metrics"


@dataclass(frozen=True)
class Horizons:
    churn_days: int
    ltv_days: int


@dataclass(frozen=True)
class DateResult:
    as_of_date: date
    seconds: float
    churn_model: str  # the candidate the build chose (logistic, xgboost, ensemble)
    metrics: pd.DataFrame  # family, model_name, metric, value, customers


def horizons(settings: Settings, variables: Mapping[str, object]) -> Horizons:
    """The label horizons of the builds: --vars first, else dbt_project.yml."""

    def value(name: str) -> int:
        return int(str(variables.get(name, project_var(settings.project_dir, name))))

    return Horizons(value("churn_horizon_days"), value("ltv_horizon_days"))


def date_settings(settings: Settings, root: Path, as_of: date) -> Settings:
    """Settings of one date's build: its own warehouse, MLflow store and publication."""
    folder = root / as_of.isoformat()
    warehouse = folder / settings.warehouse_path.name
    return replace(
        settings,
        warehouse_path=warehouse,
        tracking_uri=f"sqlite:///{folder / 'mlflow.db'}",
        published_path=default_published_path(warehouse),
        reports_dir=folder / "reports",
    )


def copy_raw(source: Path, target: Path, memory_limit: str) -> None:
    """The loaded raw rows and load records of ``source`` into a new warehouse at ``target``."""
    quoted = str(source).replace("'", "''")
    with connect(target, memory_limit=memory_limit) as con:
        create_raw_tables(con)
        con.execute(f"attach '{quoted}' as source (read_only)")
        con.execute("insert into raw.transactions by name select * from source.raw.transactions")
        con.execute("insert into raw.loads by name select * from source.raw.loads")
        con.execute("detach source")


def _require_source(source: Path, memory_limit: str) -> None:
    if not source.exists():
        raise RetailError(f"no warehouse at {source}: load your transactions first (retail ingest FILE)")
    with connect(source, read_only=True, memory_limit=memory_limit) as con:
        if not table_exists(con, "raw", "transactions"):
            raise RetailError(f"{source} has no raw.transactions: load your transactions first (retail ingest FILE)")


def _check_future_is_loaded(con: duckdb.DuckDBPyConnection, as_of: date, horizon_days: int) -> None:
    """The measurement window must be fully inside the loaded data, or churn would be overstated."""
    (last,) = con.execute("select max(ordered_at) from intermediate.int_purchase_lines_kept").fetchone() or (None,)
    window_end = as_of + timedelta(days=horizon_days)
    if last is None or last.date() < window_end - timedelta(days=1):
        raise RetailError(
            f"backtest at {as_of} needs {horizon_days} days of data after it (to {window_end}); the kept "
            f"purchases end on {last:%Y-%m-%d}: choose a date on or before "
            f"{(last.date() + timedelta(days=1) - timedelta(days=horizon_days))}"
        )


_SCORED = """
select
    features.customer_id,
    features.recency_days,
    features.frequency,
    features.purchase_span_days,
    features.tenure_days,
    features.avg_order_value,
    churn.model_name as churn_model,
    churn.churn_probability,
    ltv.predicted_ltv,
    coalesce(past.spend, 0) as spend_last_horizon,
    coalesce(future.orders_churn_horizon, 0) as future_orders,
    coalesce(future.spend_ltv_horizon, 0) as future_spend
from marts.customer_features as features
inner join ml.churn_scores as churn on churn.customer_id = features.customer_id
inner join ml.ltv_scores as ltv on ltv.customer_id = features.customer_id
left join (
    select customer_id, sum(line_amount) as spend
    from intermediate.int_purchase_lines_kept
    where ordered_at >= $as_of - to_days($ltv_days) and ordered_at < $as_of
    group by customer_id
) as past on past.customer_id = features.customer_id
left join (
    select
        customer_id,
        count(distinct case when ordered_at < $as_of + to_days($churn_days) then order_id end)
            as orders_churn_horizon,
        sum(case when ordered_at < $as_of + to_days($ltv_days) then line_amount else 0 end) as spend_ltv_horizon
    from intermediate.int_purchase_lines_kept
    where ordered_at >= $as_of
    group by customer_id
) as future on future.customer_id = features.customer_id
order by features.customer_id
"""


def scored_outcomes(con: duckdb.DuckDBPyConnection, as_of: date, horizon: Horizons) -> pd.DataFrame:
    """Per customer scored at ``as_of``: the scores, the baselines' inputs and what happened next."""
    _check_future_is_loaded(con, as_of, max(horizon.churn_days, horizon.ltv_days))
    at = datetime.combine(as_of, datetime.min.time())
    return con.execute(_SCORED, {"as_of": at, "churn_days": horizon.churn_days, "ltv_days": horizon.ltv_days}).df()


def realised_metrics(scored: pd.DataFrame, horizon: Horizons, random_state: int = 0) -> pd.DataFrame:
    """Metrics of the project's models and the baselines against the real outcomes.

    Churn: the chosen model (ROC-AUC, PR-AUC, Brier, log loss, calibration
    error), recency ("no order lately") and BG/NBD expected orders (rank only).
    LTV: the project's model, Gamma-Gamma x BG/NBD fitted on the same
    customers' history before as_of_date, and last-horizon spend.
    """
    churned = (scored["future_orders"] == 0).to_numpy(dtype=int)
    spend = scored["future_spend"].to_numpy(dtype=float)
    probabilities = scored["churn_probability"].to_numpy(dtype=float)
    # The fit does not depend on the horizon: fit once, ask it about both horizons.
    purchase_models = PurchaseModels.fit(scored, horizon.churn_days, random_state)
    churn_purchase = purchase_models.features(scored)
    ltv_purchase = replace(purchase_models, horizon_days=horizon.ltv_days).features(scored)
    chosen = {
        **classification_metrics(churned, probabilities),
        "calibration_error": expected_calibration_error(churned, probabilities),
        "mean_probability": float(probabilities.mean()),
        "churn_rate": float(churned.mean()),
    }
    rows = [
        ("churn", "chosen", chosen),
        (
            "churn",
            "recency_baseline",
            classification_metrics(churned, scored["recency_days"].to_numpy(dtype=float), probabilistic=False),
        ),
        (
            "churn",
            "bgnbd_baseline",
            classification_metrics(churned, -churn_purchase["bgnbd_expected_orders"].to_numpy(), probabilistic=False),
        ),
        ("ltv", "xgboost_tweedie", regression_metrics(spend, scored["predicted_ltv"].to_numpy(dtype=float))),
        ("ltv", "bgnbd_gamma_gamma", regression_metrics(spend, ltv_purchase["bgnbd_expected_value"].to_numpy())),
        ("ltv", "last_horizon_spend", regression_metrics(spend, scored["spend_last_horizon"].to_numpy(dtype=float))),
    ]
    return pd.DataFrame(
        [
            {"family": family, "model_name": model, "metric": metric, "value": value, "customers": len(scored)}
            for family, model, metrics in rows
            for metric, value in metrics.items()
        ]
    )


def backtest_date(
    settings: Settings, root: Path, as_of: date, variables: Mapping[str, object], horizon: Horizons
) -> DateResult:
    """Build at ``as_of`` in a fresh warehouse from the source's raw rows, then measure."""
    started = datetime.now(UTC)
    own = date_settings(settings, root, as_of)
    shutil.rmtree(own.warehouse_path.parent, ignore_errors=True)
    copy_raw(settings.warehouse_path, own.warehouse_path, settings.memory_limit)
    outcome = DbtSession(own).invoke(
        production_build(["--log-level", "none"]), variables=variables, as_of_date=str(as_of)
    )
    broken = [node for node in outcome.failed if not node.startswith("test.")]
    if broken:
        failures = "; ".join(f"{node}: {outcome.errors[node]}" if outcome.errors.get(node) else node for node in broken)
        unexplained = "" if all(outcome.errors.get(node) for node in broken) else "; see logs/dbt.log"
        raise RetailError(f"backtest build at {as_of} failed on {failures}{unexplained}")
    # Read-write like dbt-duckdb's connection in this process: DuckDB refuses a second configuration.
    with connect(own.warehouse_path, memory_limit=settings.memory_limit) as con:
        scored = scored_outcomes(con, as_of, horizon)
    random_state = int(str(variables.get("random_state", project_var(settings.project_dir, "random_state"))))
    metrics = realised_metrics(scored, horizon, random_state)
    seconds = (datetime.now(UTC) - started).total_seconds()
    return DateResult(as_of, seconds, str(scored["churn_model"].iloc[0]), metrics)


def save_results(path: Path, results: list[DateResult], horizon: Horizons, memory_limit: str) -> None:
    """Append the results to ``path`` (a DuckDB file), table backtest_metrics, one row per date, model, metric."""
    run_at = datetime.now(UTC).replace(tzinfo=None)
    frame = pd.concat(
        [result.metrics.assign(as_of_date=result.as_of_date) for result in results], ignore_index=True
    ).assign(run_at=run_at, churn_horizon_days=horizon.churn_days, ltv_horizon_days=horizon.ltv_days)
    columns = [
        "run_at",
        "as_of_date",
        "churn_horizon_days",
        "ltv_horizon_days",
        "family",
        "model_name",
        "metric",
        "value",
        "customers",
    ]
    with connect(path, memory_limit=memory_limit) as con:
        con.execute(
            f"create table if not exists {RESULTS_TABLE} (run_at timestamp, as_of_date date, "
            "churn_horizon_days integer, ltv_horizon_days integer, family varchar, model_name varchar, "
            "metric varchar, value double, customers bigint)"
        )
        con.register("results", frame[columns])
        con.execute(f"insert into {RESULTS_TABLE} by name select * from results")


def results_table(results: list[DateResult]) -> pd.DataFrame:
    """One row per family, model and metric; one column per date."""
    frame = pd.concat([result.metrics.assign(as_of_date=str(result.as_of_date)) for result in results])
    table = frame.pivot_table(
        index=["family", "model_name", "metric"], columns="as_of_date", values="value", sort=False
    )
    return table.reset_index()


def results_path(settings: Settings) -> Path:
    return settings.warehouse_path.parent / "backtest" / "backtest.duckdb"


def run_backtest(
    settings: Settings,
    dates: list[date],
    variables: Mapping[str, object],
    on_date: Callable[[DateResult], None] = lambda result: None,
    *,
    keep: bool = False,
) -> list[DateResult]:
    """Build and measure at each date; append the metrics to backtest/backtest.duckdb beside the warehouse."""
    if not dates:
        raise RetailError("give at least one date: --as-of-dates 2011-06-10,2011-09-10")
    _require_source(settings.warehouse_path, settings.memory_limit)
    horizon = horizons(settings, variables)
    with connect(settings.warehouse_path, read_only=True, memory_limit=settings.memory_limit) as con:
        if table_exists(con, "intermediate", "int_purchase_lines_kept"):  # built before: check before building
            for as_of in dates:
                _check_future_is_loaded(con, as_of, max(horizon.churn_days, horizon.ltv_days))
    root = results_path(settings).parent
    results = []
    try:
        for as_of in dates:
            result = backtest_date(settings, root, as_of, variables, horizon)
            results.append(result)
            on_date(result)
    finally:
        if not keep:
            for as_of in dates:
                shutil.rmtree(root / as_of.isoformat(), ignore_errors=True)
    save_results(results_path(settings), results, horizon, settings.memory_limit)
    return results
