from models_py.ml.config import model_configs
from models_py.ml.retraining import planned
from models_py.ml.segmentation import segment_customers


def model(dbt, session):
    dbt.config(materialized="table", tags=["ml"])
    configs = model_configs(dbt.config.get("ml_settings"))
    decision, champion = planned(dbt.ref("retraining_plan").df(), "segmentation")
    features = dbt.ref("customer_features").df()
    return segment_customers(features, configs.segmentation, decision, champion, configs.fingerprint("segmentation"))
