from models_py.ml.config import model_configs
from models_py.ml.frames import to_pandas
from models_py.ml.retraining import FAMILIES, plan_table
from models_py.ml.tracking import champion


def model(dbt, session):
    dbt.config(materialized="table", tags=["ml"])
    dbt.ref("ml_runtime")  # not read: runs after it, its libraries imported (models_py.ml.runtime)
    configs = model_configs(dbt.config.get("ml_settings"))
    # A statement of its own: dbt's parser missed the ref inside a longer expression.
    cutoff = to_pandas(dbt.ref("int_as_of_date")).dropna()
    as_of = cutoff["as_of_date"].head(1).astype(str).str[:10].tolist()  # a date or a midnight timestamp
    champions = {family: champion(configs.churn.tracking_uri, family) for family in FAMILIES}
    return plan_table(
        champions,
        as_of[0] if as_of else None,
        policy=configs.retrain_policy,
        max_age_days=configs.retrain_max_age_days,
        force=configs.force_retrain,
        fingerprints={family: configs.fingerprint(family) for family in FAMILIES},
    )
