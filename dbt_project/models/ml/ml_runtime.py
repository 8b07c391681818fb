from models_py.ml.config import model_configs
from models_py.ml.runtime import load_runtime, tracking_likely


def model(dbt, session):
    # No ref: dbt starts it with the SQL layer, and the ML models, which ref it, find their
    # libraries imported (models_py.ml.runtime).
    dbt.config(materialized="table", tags=["ml"])
    configs = model_configs(dbt.config.get("ml_settings"))
    likely = tracking_likely(configs.churn.tracking_uri, configs.retrain_policy, configs.force_retrain)
    return load_runtime(with_tracking=likely, tracking_uri=configs.churn.tracking_uri)
