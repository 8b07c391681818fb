from models_py.ml.config import model_configs
from models_py.ml.segmentation import embed_customers


def model(dbt, session):
    dbt.config(materialized="table", tags=["ml"])
    configs = model_configs(dbt.config.get("ml_settings"))
    features = dbt.ref("customer_features").df()
    return embed_customers(features, configs.segmentation)
