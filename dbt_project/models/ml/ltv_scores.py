from models_py.config import LtvConfig
from models_py.ltv import fit_and_score


def model(dbt, session):
    dbt.config(materialized="table", tags=["ml"])
    snapshots = dbt.ref("customer_training_snapshots").df()
    features = dbt.ref("customer_features").df()
    config = LtvConfig(
        horizon_days=int(dbt.config.get("ltv_horizon_days")),
        random_state=int(dbt.config.get("random_state")),
        tracking_uri=dbt.config.get("mlflow_tracking_uri"),
    )
    return fit_and_score(snapshots, features, config)
