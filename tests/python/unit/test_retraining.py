"""The retraining policy: when a build trains and when the champion scores."""

from __future__ import annotations

import pytest

from models_py.errors import RetailError
from models_py.ml.retraining import Champion, decide, parse_policy, plan_table, planned

CHAMPION = Champion("churn", 3, "run-3", "file:///m", "2011-09-01", "2011-06-03", "abc")


def test_decide_without_a_champion_trains_and_promotes() -> None:
    decision = decide(None, "2011-09-01", policy="on_drift", max_age_days=90)
    assert decision.retrain and decision.promote and "no registered model" in decision.reason


@pytest.mark.parametrize(
    ("as_of", "retrain"),
    [("2011-09-02", False), ("2011-11-29", False), ("2011-11-30", True), ("2012-03-01", True)],
)
def test_decide_max_age_counts_data_days(as_of: str, retrain: bool) -> None:
    decision = decide(CHAMPION, as_of, policy="max_age", max_age_days=90, config_fingerprint="abc")
    assert decision.retrain is retrain and decision.promote is retrain


def test_decide_on_drift_keeps_the_champion_until_forced() -> None:
    kept = decide(CHAMPION, "2012-06-01", policy="on_drift", max_age_days=90, config_fingerprint="abc")
    forced = decide(CHAMPION, "2012-06-01", policy="on_drift", max_age_days=90, force=True)
    assert not kept.retrain and "champion version 3" in kept.reason
    assert forced.retrain and forced.promote


def test_decide_always_and_changed_configuration_retrain() -> None:
    assert decide(CHAMPION, "2011-09-02", policy="always", max_age_days=90, config_fingerprint="abc").retrain
    changed = decide(CHAMPION, "2011-09-02", policy="on_drift", max_age_days=90, config_fingerprint="xyz")
    assert changed.retrain and "configuration changed" in changed.reason


def test_decide_backfill_trains_without_replacing_the_champion() -> None:
    decision = decide(CHAMPION, "2011-06-01", policy="on_drift", max_age_days=90, config_fingerprint="abc")
    assert decision.retrain and not decision.promote and "backfill" in decision.reason


def test_parse_policy_names_the_choices() -> None:
    assert parse_policy("max_age") == "max_age"
    with pytest.raises(RetailError, match="always, max_age, on_drift"):
        parse_policy("weekly")


def test_plan_table_round_trips_the_champion() -> None:
    plan = plan_table(
        {"churn": CHAMPION},
        "2011-10-01",
        policy="max_age",
        max_age_days=90,
        force=False,
        fingerprints={"segmentation": "s", "churn": "abc", "ltv": "l"},
    )
    decision, champion = planned(plan, "churn")
    assert list(plan["family"]) == ["segmentation", "churn", "ltv"]
    assert champion == CHAMPION and not decision.retrain
    assert planned(plan, "ltv") == (planned(plan, "ltv")[0], None) and planned(plan, "ltv")[0].retrain
