from models_py.ml.config import model_configs
from models_py.ml.retraining import FAMILIES, plan_table
from models_py.ml.tracking import champion


def model(dbt, session):
    dbt.config(materialized="table", tags=["ml"])
    configs = model_configs(dbt.config.get("ml_settings"))
    as_of = dbt.ref("customer_features").project("as_of_date").limit(1).fetchall()
    champions = {family: champion(configs.churn.tracking_uri, family) for family in FAMILIES}
    return plan_table(
        champions,
        str(as_of[0][0]) if as_of else None,
        policy=configs.retrain_policy,
        max_age_days=configs.retrain_max_age_days,
        force=configs.force_retrain,
        fingerprints={family: configs.fingerprint(family) for family in FAMILIES},
    )
