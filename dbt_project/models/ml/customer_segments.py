from models_py.ml.config import model_configs
from models_py.ml.frames import to_pandas
from models_py.ml.retraining import planned
from models_py.ml.segmentation import segment_customers
from models_py.ml.threads import limit_native_threads


def model(dbt, session):
    dbt.config(materialized="table", tags=["ml"])
    configs = model_configs(dbt.config.get("ml_settings"))
    limit_native_threads(configs.threads)
    decision, champion = planned(to_pandas(dbt.ref("retraining_plan")), "segmentation")
    features = to_pandas(dbt.ref("customer_features"))
    return segment_customers(features, configs.segmentation, decision, champion, configs.fingerprint("segmentation"))
