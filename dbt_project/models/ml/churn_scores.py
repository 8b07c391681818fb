from models_py.churn import fit_and_score
from models_py.config import ChurnConfig, LtvConfig


def model(dbt, session):
    dbt.config(materialized="table", tags=["ml"])
    snapshots = dbt.ref("customer_training_snapshots").df()
    features = dbt.ref("customer_features").df()
    random_state = int(dbt.config.get("random_state"))
    config = ChurnConfig(
        horizon_days=int(dbt.config.get("churn_horizon_days")),
        candidates=tuple(dbt.config.get("churn_candidates").split(",")),
        incentive_cost=float(dbt.config.get("retention_incentive_cost")),
        gross_margin=float(dbt.config.get("gross_margin")),
        ltv=LtvConfig(horizon_days=int(dbt.config.get("ltv_horizon_days")), random_state=random_state),
        random_state=random_state,
        tracking_uri=dbt.config.get("mlflow_tracking_uri"),
    )
    return fit_and_score(snapshots, features, config)
