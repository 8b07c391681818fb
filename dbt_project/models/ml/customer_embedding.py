from models_py.ml.config import model_configs
from models_py.ml.features import CUSTOMER_ID
from models_py.ml.frames import to_pandas
from models_py.ml.segmentation import SEGMENT_FEATURES, embed_customers
from models_py.ml.threads import limit_native_threads


def model(dbt, session):
    dbt.config(materialized="table", tags=["ml"])
    configs = model_configs(dbt.config.get("ml_settings"))
    limit_native_threads(configs.threads)
    features = to_pandas(dbt.ref("customer_features"), [CUSTOMER_ID, *SEGMENT_FEATURES])
    return embed_customers(features, configs.segmentation)
