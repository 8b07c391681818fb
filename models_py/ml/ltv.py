"""Lifetime value: spend in the next H days, XGBoost with a Tweedie loss.

Spend is zero-inflated (half the customers buy nothing in a quarter) and
heavy-tailed; the Tweedie loss models both. Validation is out of time
(``training_sets``): fit on the fit snapshots, evaluate on the validation
snapshot, then refit on the validation-role snapshots and score the customers
at as_of_date. BG/NBD and Gamma-Gamma quantities are inputs as well as the
baseline to beat.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from xgboost import XGBRegressor

from models_py.ml.bgnbd import PurchaseModels
from models_py.ml.config import XGB_TREE_PARAMS, LtvConfig
from models_py.ml.evaluation import regression_metrics
from models_py.ml.features import CUSTOMER_ID, MODEL_FEATURES, as_of_date_of, design_matrix, validate_frame
from models_py.ml.outputs import output_frame
from models_py.ml.retraining import RETRAIN, Champion, Decision, trains
from models_py.ml.shared_fits import SHARED_FITS, fit_key
from models_py.ml.tracking import load_model, run_params, start_run
from models_py.ml.training_sets import training_sets, training_snapshots, with_purchase_features

LTV_SCHEMA = {CUSTOMER_ID: "string", "predicted_ltv": "float64", "ltv_horizon_days": "int64"}


def _regressor(config: LtvConfig) -> XGBRegressor:
    return XGBRegressor(
        objective="reg:tweedie",
        tweedie_variance_power=1.3,
        **XGB_TREE_PARAMS,
        random_state=config.random_state,
        n_jobs=config.threads,
    )


def fit_regressor(snapshot: pd.DataFrame, config: LtvConfig) -> XGBRegressor:
    """The spend model fitted on ``snapshot``; churn's contact economics fit the same one (``shared_fits``)."""
    matrix, spend = design_matrix(snapshot), snapshot["future_spend"].astype(float)
    settings = _regressor(config).get_params()
    key = fit_key("spend model", matrix.to_numpy(), list(matrix.columns), spend.to_numpy(), settings)

    def fit() -> XGBRegressor:
        return _regressor(config).fit(matrix, spend)

    return SHARED_FITS.get(key, fit)


def evaluate(fit: pd.DataFrame, validation: pd.DataFrame, config: LtvConfig) -> dict[str, dict[str, float]]:
    """Out-of-time metrics of the model and the two baselines on the validation snapshot
    (both with the purchase-model features of ``training_sets``)."""
    actual = validation["future_spend"].to_numpy(dtype=float)
    predicted = fit_regressor(fit, config).predict(design_matrix(validation))
    return {
        "xgboost_tweedie": regression_metrics(actual, predicted),
        "last_horizon_spend": regression_metrics(actual, validation["spend_last_ltv_horizon"].to_numpy(dtype=float)),
        "bgnbd_gamma_gamma": regression_metrics(actual, validation["bgnbd_expected_value"].to_numpy(dtype=float)),
    }


@dataclass(frozen=True)
class RegisteredLtvModel:
    """A registered LTV model version with the purchase models of the population it was trained to score."""

    estimator: XGBRegressor
    purchase_models: PurchaseModels

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        """Predicted spend per row of ``features`` (the MODEL_FEATURES columns), never negative."""
        return predict_ltv(self.estimator, with_purchase_features(features, self.purchase_models))


def predict_ltv(model: XGBRegressor, features: pd.DataFrame) -> np.ndarray:
    """Predicted spend per row of ``features`` (MODEL_FEATURES and PURCHASE_FEATURES), never negative."""
    predicted: np.ndarray = np.clip(np.asarray(model.predict(design_matrix(features)), dtype=float), 0, None)
    return predicted


def load_registered(model: Champion, tracking_uri: str) -> RegisteredLtvModel:
    regressor: XGBRegressor = load_model(model, "xgboost")
    return RegisteredLtvModel(regressor, PurchaseModels.from_params(run_params(tracking_uri, model.run_id)))


def _scores(current: pd.DataFrame, predicted: np.ndarray, config: LtvConfig, **run: object) -> pd.DataFrame:
    return output_frame(
        LTV_SCHEMA,
        {CUSTOMER_ID: current[CUSTOMER_ID], "predicted_ltv": predicted, "ltv_horizon_days": config.horizon_days},
        **run,  # type: ignore[arg-type]
    )


def fit_and_score(
    snapshots: pd.DataFrame | None,
    current: pd.DataFrame,
    config: LtvConfig,
    decision: Decision = RETRAIN,
    champion: Champion | None = None,
    fingerprint: str = "",
) -> pd.DataFrame:
    """Validate out of time, refit on the validation-role snapshots, score current customers.

    Inputs: ``marts.customer_training_snapshots`` and ``marts.customer_features``.
    Output: one row per current customer with ``predicted_ltv``. When the
    decision is not to retrain, the champion scores and nothing is fitted.
    """
    if current.empty:
        return output_frame(LTV_SCHEMA)
    validate_frame(current, name="customer_features", required=(CUSTOMER_ID, *MODEL_FEATURES), unique=[CUSTOMER_ID])
    as_of_date = as_of_date_of(current)
    current = current.sort_values(CUSTOMER_ID, kind="stable").reset_index(drop=True)
    if champion is not None and not trains(decision, champion):
        return _scores(
            current,
            load_registered(champion, config.tracking_uri).predict(current),
            config,
            run_id=champion.run_id,
            model_version=champion.version,
            trained_as_of_date=champion.as_of_date,
            as_of_date=as_of_date,
        )
    snapshots = training_snapshots(snapshots)
    sets = training_sets(snapshots, config.horizon_days, config.random_state)
    metrics = evaluate(sets.fit, sets.validation, config)
    final = fit_regressor(sets.refit, config)
    purchase_models = PurchaseModels.fit(current, config.horizon_days, config.random_state)
    scored = with_purchase_features(current, purchase_models)
    predicted = predict_ltv(final, scored)
    with start_run(config.tracking_uri, "ltv", f"ltv {as_of_date}") as run:
        run.log_params(
            {
                "as_of_date": as_of_date,
                "horizon_days": config.horizon_days,
                "features": ",".join(MODEL_FEATURES),
                "validation_cutoff": as_of_date_of(sets.validation),
                "fit_rows": len(sets.fit),
                "validation_rows": len(sets.validation),
                "refit_rows": len(sets.refit),
                "retrain_reason": decision.reason,
                **purchase_models.params(),
                **{f"xgb_{key}": value for key, value in final.get_params().items() if value is not None},
            }
        )
        for model_name, values in metrics.items():
            run.log_metrics("validation", model_name, values)
        run.log_model(final, "xgboost", design_matrix(scored.head(50)))
        version = run.register(
            "ltv",
            as_of_date=as_of_date,
            reference_cutoff=as_of_date_of(sets.validation),
            config_fingerprint=fingerprint,
            promote=decision.promote,
        )
        run_id = run.run_id
    return _scores(current, predicted, config, run_id=run_id, model_version=version, as_of_date=as_of_date)
