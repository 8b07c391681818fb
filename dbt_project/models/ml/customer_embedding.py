from models_py.config import SegmentationConfig
from models_py.segmentation import embed_customers


def model(dbt, session):
    dbt.config(materialized="table", tags=["ml"])
    features = dbt.ref("customer_features").df()
    config = SegmentationConfig(
        random_state=int(dbt.config.get("random_state")),
        embedding_method=dbt.config.get("embedding_method"),
    )
    return embed_customers(features, config)
