"""Churn reasons in the demo build: they add up to the registered model's logit, and the words carry the numbers."""

from __future__ import annotations

import pytest

from tests.python.conftest import Workspace
from tests.python.reasons_check import assert_contributions_add_up_to_the_logit

pytestmark = [pytest.mark.integration]


def test_stored_contributions_add_up_to_the_registered_models_logit(demo_build: Workspace) -> None:
    assert_contributions_add_up_to_the_logit(demo_build)


def _count(value: int, noun: str) -> str:
    return f"{value:,} {noun}" + ("" if value == 1 else "s")


def test_every_customer_has_three_reasons_whose_words_carry_their_numbers(demo_build: Workspace) -> None:
    rows = demo_build.frame(
        "select scores.customer_id, scores.churn_reason_1, scores.churn_reason_2, scores.churn_reason_3, "
        "churn.reason_1_factor, churn.reason_2_factor, churn.reason_3_factor, "
        "churn.reason_1_contribution, features.recency_days, features.frequency, features.tenure_days, "
        "features.orders_last_90d "
        "from reporting.customer_scores as scores join ml.churn_scores as churn using (customer_id) "
        "join marts.customer_features as features using (customer_id)",
    )

    assert rows[["churn_reason_1", "churn_reason_2", "churn_reason_3"]].notna().all().all()
    checked = 0
    for row in rows.itertuples():
        factors = [getattr(row, f"reason_{rank}_factor") for rank in (1, 2, 3)]
        assert len(set(factors)) == 3
        for rank, factor in enumerate(factors, start=1):
            text = getattr(row, f"churn_reason_{rank}")
            if factor == "recency":
                assert text.startswith(f"no order for {_count(row.recency_days, 'day')}"), (row.customer_id, text)
                checked += 1
            elif factor == "frequency":
                expected = (
                    f"{_count(row.frequency, 'order')} in {_count(row.tenure_days, 'day')}, "
                    f"{row.orders_last_90d} in the last 90"
                )
                assert text.startswith(expected), (row.customer_id, text)
                checked += 1
        assert row.churn_reason_1.endswith("(raises risk)") == (row.reason_1_contribution > 0)
    assert checked > 0
