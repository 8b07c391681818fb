"""The three training sets of the out-of-time protocol, read from marts.customer_training_snapshots.

- ``fit``: every ``fit`` snapshot (as_of_date - 2H and the stacked ones before
  it): candidates are trained here;
- ``validation``: the ``validation`` snapshot at stack_index 0 (as_of_date - H):
  candidates are compared here, on a future none of them saw;
- ``refit``: every ``validation`` snapshot: the chosen model is retrained here
  before it scores the customers at as_of_date.

Each snapshot gets the purchase-model features (BG/NBD and Gamma-Gamma) of a
fit on its own population, as the customers at as_of_date get theirs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from models_py.errors import RetailError
from models_py.ml.bgnbd import PurchaseModels
from models_py.ml.features import CUSTOMER_ID, MODEL_FEATURES, validate_frame
from models_py.ml.frames import to_pandas

MIN_ROWS = 50
SAMPLE_RANK = "training_sample_rank"
SNAPSHOT_COLUMNS = (
    CUSTOMER_ID,
    "snapshot_role",
    "stack_index",
    "as_of_date",
    "future_spend",
    "spend_last_ltv_horizon",
    *MODEL_FEATURES,
)


@dataclass(frozen=True)
class TrainingSets:
    fit: pd.DataFrame
    validation: pd.DataFrame
    refit: pd.DataFrame


def with_purchase_features(frame: pd.DataFrame, models: PurchaseModels) -> pd.DataFrame:
    """``frame`` with the PURCHASE_FEATURES columns of ``models`` added."""
    return pd.concat([frame, models.features(frame)], axis=1)


def _with_own_purchase_features(snapshots: pd.DataFrame, horizon_days: int, random_state: int) -> pd.DataFrame:
    # Sorted because DuckDB returns rows in no fixed order, and both the optimiser's
    # sums and XGBoost's row subsampling depend on it: unsorted, the same data gave different models.
    ordered = snapshots.sort_values(["stack_index", CUSTOMER_ID], kind="stable").reset_index(drop=True)
    parts = [
        with_purchase_features(snapshot, PurchaseModels.fit(snapshot, horizon_days, random_state))
        for _, snapshot in ordered.groupby("stack_index", sort=True)
    ]
    return pd.concat(parts)


def training_snapshots(snapshots: pd.DataFrame | None) -> pd.DataFrame:
    """The snapshots a fit needs; the dbt models read them only when they train (``retraining.trains``)."""
    if snapshots is None:
        raise RetailError("a model is retrained but marts.customer_training_snapshots was not read")
    return snapshots


def read_training_sample(snapshots: Any, customers_per_snapshot: int) -> pd.DataFrame:
    """The engine's customer_training_snapshots as pandas, at most ``customers_per_snapshot``
    customers per snapshot (0: all): its ``training_sample_rank`` (by a hash of the id, so the
    same customers at every cutoff) filtered in the engine. The dbt model already keeps only
    that sample; the filter matters when the table was built with a larger cap and the
    models are run alone (``--select churn_scores``)."""
    where = f"{SAMPLE_RANK} <= {int(customers_per_snapshot)}" if customers_per_snapshot > 0 else None
    return to_pandas(snapshots, where=where)


def training_sets(snapshots: pd.DataFrame, horizon_days: int, random_state: int) -> TrainingSets:
    """Split the snapshots by role, add each snapshot's purchase-model features, check the sizes."""
    validate_frame(snapshots, name="customer_training_snapshots", required=SNAPSHOT_COLUMNS)
    validate_frame(snapshots, name="customer_training_snapshots", required=(), unique=[CUSTOMER_ID, "as_of_date"])
    roles = {
        role: _with_own_purchase_features(snapshots[snapshots["snapshot_role"] == role], horizon_days, random_state)
        for role in ("fit", "validation")
        if (snapshots["snapshot_role"] == role).any()
    }
    fit = roles.get("fit", snapshots.iloc[:0])
    refit = roles.get("validation", snapshots.iloc[:0])
    validation = refit[refit["stack_index"] == 0].reset_index(drop=True)
    validate_frame(fit, name="fit snapshots", required=(), min_rows=MIN_ROWS)
    validate_frame(validation, name="validation snapshot", required=(), unique=[CUSTOMER_ID], min_rows=MIN_ROWS)
    return TrainingSets(fit=fit, validation=validation, refit=refit)
