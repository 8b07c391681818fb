"""Churn reasons in the demo build: they add up to the registered model's logit, and the words carry the numbers."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from models_py import churn
from models_py.features import design_matrix
from models_py.tracking import registered_version
from models_py.training_sets import with_purchase_features
from tests.python.conftest import Workspace

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("demo_build")]


def _frame(workspace: Workspace, sql: str) -> pd.DataFrame:
    con = duckdb.connect(str(workspace.warehouse), read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def _member_logit(name: str, estimator: object, matrix: pd.DataFrame) -> np.ndarray:
    if name == "logistic":
        return np.asarray(estimator.decision_function(matrix))  # type: ignore[attr-defined]
    return np.asarray(estimator.predict(matrix, output_margin=True))  # type: ignore[attr-defined]


def test_stored_contributions_add_up_to_the_registered_models_logit(demo_build: Workspace) -> None:
    scores = _frame(
        demo_build,
        "select scores.*, features.* exclude (customer_id, as_of_date) from ml.churn_scores as scores "
        "join marts.customer_features as features using (customer_id) order by customer_id limit 50",
    )
    version = int(scores["model_version"].iloc[0])
    registered = churn.load_registered(
        registered_version(demo_build.settings.tracking_uri, "churn", version), demo_build.settings.tracking_uri
    )
    matrix = design_matrix(with_purchase_features(scores, registered.purchase_models))
    name = registered.model_name
    if name == "ensemble":
        members = registered.estimator.named_estimators_
        expected = np.mean([_member_logit(member, members[member], matrix) for member in members], axis=0)
    else:
        expected = _member_logit(name, registered.estimator, matrix)
        np.testing.assert_allclose(
            expected, np.log(scores["churn_probability"] / (1 - scores["churn_probability"])), atol=1e-4
        )

    total = scores["churn_logit_base"] + scores["other_reasons_contribution"]
    total += scores[["reason_1_contribution", "reason_2_contribution", "reason_3_contribution"]].sum(axis=1)

    np.testing.assert_allclose(total, expected, atol=1e-4)


def test_every_customer_has_three_reasons_whose_words_carry_their_numbers(demo_build: Workspace) -> None:
    rows = _frame(
        demo_build,
        "select scores.customer_id, scores.churn_reason_1, scores.churn_reason_2, scores.churn_reason_3, "
        "churn.reason_1_feature, churn.reason_2_feature, churn.reason_3_feature, "
        "churn.reason_1_contribution, features.recency_days, features.frequency, features.tenure_days "
        "from reporting.customer_scores as scores join ml.churn_scores as churn using (customer_id) "
        "join marts.customer_features as features using (customer_id)",
    )

    assert rows[["churn_reason_1", "churn_reason_2", "churn_reason_3"]].notna().all().all()
    checked = 0
    for row in rows.itertuples():
        for rank in (1, 2, 3):
            feature, text = getattr(row, f"reason_{rank}_feature"), getattr(row, f"churn_reason_{rank}")
            if feature in ("recency_days", "recency_to_interpurchase"):
                assert text.startswith(f"no order for {row.recency_days} days"), (row.customer_id, text)
                checked += 1
            elif feature in ("frequency", "orders_per_30d"):
                assert text.startswith(f"{row.frequency} orders in {row.tenure_days} days"), (row.customer_id, text)
                checked += 1
        assert row.churn_reason_1.endswith("(raises risk)") == (row.reason_1_contribution > 0)
    assert checked > 0
