from models_py.ml.config import model_configs
from models_py.ml.tracking import model_metrics_table


def model(dbt, session):
    dbt.config(materialized="table", tags=["ml"])
    configs = model_configs(dbt.config.get("ml_settings"))
    scores = [
        dbt.ref("customer_segments").project("model_run_id, as_of_date").distinct().df(),
        dbt.ref("churn_scores").project("model_run_id, as_of_date").distinct().df(),
        dbt.ref("ltv_scores").project("model_run_id, as_of_date").distinct().df(),
    ]
    return model_metrics_table(scores, configs.churn.tracking_uri)
