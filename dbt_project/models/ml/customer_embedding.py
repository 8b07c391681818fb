from models_py.ml.config import model_configs
from models_py.ml.features import CUSTOMER_ID
from models_py.ml.frames import to_pandas
from models_py.ml.segmentation import SEGMENT_FEATURES, embed_customers


def model(dbt, session):
    dbt.config(materialized="table", tags=["ml"])
    configs = model_configs(dbt.config.get("ml_settings"))
    features = to_pandas(dbt.ref("customer_features"), [CUSTOMER_ID, *SEGMENT_FEATURES])
    return embed_customers(features, configs.segmentation)
