from models_py.ml.config import model_configs
from models_py.ml.features import CUSTOMER_ID
from models_py.ml.frames import to_pandas
from models_py.ml.segmentation import SEGMENT_FEATURES, embed_customers
from models_py.ml.threads import limit_native_threads


def model(dbt, session):
    dbt.config(materialized="table", tags=["ml"])
    dbt.ref("ml_runtime")  # not read: runs after it, its libraries imported (models_py.ml.runtime)
    # Not read either: the segments' 2-D picture is drawn after them. dbt starts the ready nodes of
    # one DAG depth in name order, and this one ran before the training snapshots, which the
    # churn and LTV models wait for.
    dbt.ref("customer_segments")
    configs = model_configs(dbt.config.get("ml_settings"))
    limit_native_threads(configs.threads)
    features = to_pandas(dbt.ref("customer_features"), [CUSTOMER_ID, *SEGMENT_FEATURES])
    return embed_customers(features, configs.segmentation)
