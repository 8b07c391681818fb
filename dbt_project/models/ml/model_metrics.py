from models_py.ml.config import model_configs
from models_py.ml.frames import to_pandas
from models_py.ml.tracking import model_metrics_table


def model(dbt, session):
    dbt.config(materialized="table", tags=["ml"])
    configs = model_configs(dbt.config.get("ml_settings"))
    scores = [
        to_pandas(dbt.ref("customer_segments"), ["model_run_id", "as_of_date"]).drop_duplicates(),
        to_pandas(dbt.ref("churn_scores"), ["model_run_id", "as_of_date"]).drop_duplicates(),
        to_pandas(dbt.ref("ltv_scores"), ["model_run_id", "as_of_date"]).drop_duplicates(),
    ]
    return model_metrics_table(scores, configs.churn.tracking_uri)
