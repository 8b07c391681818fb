"""Shared check: stored churn reasons add up to the registered model's logit (demo and real-data builds)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models_py.ml import churn
from models_py.ml.features import design_matrix
from models_py.ml.tracking import registered_version
from models_py.ml.training_sets import with_purchase_features
from tests.python.conftest import Workspace


def _member_logit(name: str, estimator: object, matrix: pd.DataFrame) -> np.ndarray:
    """The logit a model computes itself: the logistic decision function or XGBoost's margin."""
    if name == "logistic":
        return np.asarray(estimator.decision_function(matrix))  # type: ignore[attr-defined]
    return np.asarray(estimator.predict(matrix, output_margin=True))  # type: ignore[attr-defined]


def assert_contributions_add_up_to_the_logit(workspace: Workspace, customers: int = 50) -> None:
    """For the first ``customers``: base + three reasons + the rest = the registered model's own logit
    (for the ensemble, the mean of its members'), and for a single model = logit(churn_probability)."""
    scores = workspace.frame(
        "select scores.*, features.* exclude (customer_id, as_of_date) from ml.churn_scores as scores "
        f"join marts.customer_features as features using (customer_id) order by customer_id limit {customers}",
    )
    tracking_uri = workspace.settings.tracking_uri
    version = int(scores["model_version"].iloc[0])
    registered = churn.load_registered(registered_version(tracking_uri, "churn", version), tracking_uri)
    matrix = design_matrix(with_purchase_features(scores, registered.purchase_models))
    if registered.model_name == "ensemble":
        members = registered.estimator.named_estimators_
        expected = np.mean([_member_logit(name, members[name], matrix) for name in members], axis=0)
    else:
        expected = _member_logit(registered.model_name, registered.estimator, matrix)
        probability = scores["churn_probability"]
        np.testing.assert_allclose(expected, np.log(probability / (1 - probability)), atol=1e-4)

    total = scores["churn_logit_base"] + scores["other_reasons_contribution"]
    total += scores[["reason_1_contribution", "reason_2_contribution", "reason_3_contribution"]].sum(axis=1)

    assert len(scores) == customers
    np.testing.assert_allclose(total, expected, atol=1e-4)
