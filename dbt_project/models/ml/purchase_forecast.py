from models_py.ml.config import model_configs
from models_py.ml.frames import to_pandas
from models_py.ml.purchase_forecast import forecast
from models_py.ml.threads import limit_native_threads


def model(dbt, session):
    dbt.config(materialized="table", tags=["ml"])
    dbt.ref("ml_runtime")  # not read: runs after it, its libraries imported (models_py.ml.runtime)
    configs = model_configs(dbt.config.get("ml_settings"))
    limit_native_threads(configs.threads)
    return forecast(to_pandas(dbt.ref("customer_features")), configs.ltv.horizon_days)
