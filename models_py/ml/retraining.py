"""When to retrain: the retraining policy, decided per model family and build.

Scheduled builds score every day; training is the expensive, riskier step, so
the dbt var ``retrain_policy`` decides when it happens:

- ``always``: every build trains (the default for a first install: no registry yet).
- ``max_age``: retrain when the registered champion was trained on data more
  than ``retrain_max_age_days`` older than as_of_date (data time, not wall
  clock, so replays and backfills age models the same way a daily schedule does).
- ``on_drift``: keep the champion until a drift test errors; ``retail build``
  then reruns the build with the var ``retrain: true``.

Whatever the policy, a build retrains when there is no champion, when forced
(var ``retrain``), and when the champion saw data after as_of_date (a
backfill must not score with a model trained on its future); such a backfill
model is registered but does not replace the champion.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal

import pandas as pd

from models_py.errors import RetailError

RetrainPolicy = Literal["always", "max_age", "on_drift"]
POLICIES: tuple[RetrainPolicy, ...] = ("always", "max_age", "on_drift")
FAMILIES = ("segmentation", "churn", "ltv")


@dataclass(frozen=True)
class Champion:
    """The registered model version that scores when no retraining is due."""

    family: str
    version: int
    run_id: str
    source: str
    as_of_date: str
    reference_cutoff: str
    config_fingerprint: str


@dataclass(frozen=True)
class Decision:
    retrain: bool
    promote: bool  # make the new version the champion
    reason: str


# What a caller without a registry gets: train, and make the result the champion.
RETRAIN = Decision(True, True, "retrain requested")


def trains(decision: Decision, champion: Champion | None) -> bool:
    """Whether this build fits a model (and needs the training snapshots) or scores with the champion."""
    return decision.retrain or champion is None


def parse_policy(value: str) -> RetrainPolicy:
    for policy in POLICIES:
        if value == policy:
            return policy
    raise RetailError(f"var retrain_policy must be one of {', '.join(POLICIES)}; got {value!r}")


def decide(
    champion: Champion | None,
    as_of_date: str,
    *,
    policy: RetrainPolicy,
    max_age_days: int,
    force: bool = False,
    config_fingerprint: str | None = None,
) -> Decision:
    """Retrain or score with the champion, and why."""
    if champion is None:
        return Decision(True, True, "no registered model yet")
    if champion.as_of_date > as_of_date:
        return Decision(True, False, f"backfill: the champion was trained at {champion.as_of_date}, after as_of_date")
    if force:
        return Decision(True, True, "forced by var retrain")
    if config_fingerprint is not None and config_fingerprint != champion.config_fingerprint:
        return Decision(True, True, "model configuration changed since the champion was trained")
    if policy == "always":
        return Decision(True, True, "retrain_policy always")
    age = (date.fromisoformat(as_of_date) - date.fromisoformat(champion.as_of_date)).days
    if policy == "max_age" and age >= max_age_days:
        return Decision(True, True, f"champion is {age} days old (retrain_max_age_days {max_age_days})")
    return Decision(False, False, f"champion version {champion.version}, {age} days old ({policy})")


PLAN_SCHEMA = {
    "family": "string",
    "retrain": "bool",
    "promote": "bool",
    "reason": "string",
    "retrain_policy": "string",
    "config_fingerprint": "string",
    "champion_version": "Int64",
    "champion_run_id": "string",
    "champion_source": "string",
    "champion_as_of_date": "date32[pyarrow]",
    "champion_reference_cutoff": "date32[pyarrow]",
    "champion_config_fingerprint": "string",
    "as_of_date": "date32[pyarrow]",
}


def plan_table(
    champions: Mapping[str, Champion | None],
    as_of_date: str | None,
    *,
    policy: RetrainPolicy,
    max_age_days: int,
    force: bool,
    fingerprints: Mapping[str, str],
) -> pd.DataFrame:
    """``ml.retraining_plan``: one row per model family with the decision for this build."""
    rows = []
    for family in FAMILIES if as_of_date else ():
        current = champions.get(family)
        decision = decide(
            current,
            str(as_of_date),
            policy=policy,
            max_age_days=max_age_days,
            force=force,
            config_fingerprint=fingerprints[family],
        )
        rows.append(
            {
                "family": family,
                "retrain": decision.retrain,
                "promote": decision.promote,
                "reason": decision.reason,
                "retrain_policy": policy,
                "config_fingerprint": fingerprints[family],
                "champion_version": current.version if current else None,
                "champion_run_id": current.run_id if current else None,
                "champion_source": current.source if current else None,
                "champion_as_of_date": pd.Timestamp(current.as_of_date) if current else None,
                "champion_reference_cutoff": pd.Timestamp(current.reference_cutoff) if current else None,
                "champion_config_fingerprint": current.config_fingerprint if current else None,
                "as_of_date": pd.Timestamp(str(as_of_date)),
            }
        )
    frame = pd.DataFrame(rows, columns=list(PLAN_SCHEMA))
    return frame.astype(PLAN_SCHEMA)


def planned(plan: pd.DataFrame, family: str) -> tuple[Decision, Champion | None]:
    """This build's decision for ``family`` from ``ml.retraining_plan``, and the champion if any."""
    if plan.empty:  # no customers (e.g. `dbt build --empty`): nothing to score, nothing to reuse
        return RETRAIN, None
    rows = plan[plan["family"] == family]
    if rows.empty:
        raise RetailError(f"ml.retraining_plan has no row for {family}: rebuild it with the ml models")
    row = rows.iloc[0]
    decision = Decision(bool(row["retrain"]), bool(row["promote"]), str(row["reason"]))
    if pd.isna(row["champion_version"]):
        return decision, None
    return decision, Champion(
        family=family,
        version=int(row["champion_version"]),
        run_id=str(row["champion_run_id"]),
        source=str(row["champion_source"]),
        as_of_date=str(pd.Timestamp(row["champion_as_of_date"]).date()),
        reference_cutoff=str(pd.Timestamp(row["champion_reference_cutoff"]).date()),
        config_fingerprint=str(row["champion_config_fingerprint"]),
    )
