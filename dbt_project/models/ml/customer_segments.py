from models_py.config import SegmentationConfig
from models_py.segmentation import segment_customers


def model(dbt, session):
    dbt.config(materialized="table", tags=["ml"])
    features = dbt.ref("customer_features").df()
    config = SegmentationConfig(
        algorithm=dbt.config.get("segmentation_algorithm"),
        k_min=int(dbt.config.get("segment_k_min")),
        k_max=int(dbt.config.get("segment_k_max")),
        min_share=float(dbt.config.get("segment_min_share")),
        random_state=int(dbt.config.get("random_state")),
        tracking_uri=dbt.config.get("mlflow_tracking_uri"),
    )
    return segment_customers(features, config)
