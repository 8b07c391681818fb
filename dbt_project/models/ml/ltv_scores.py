from models_py.ml.config import model_configs
from models_py.ml.ltv import fit_and_score
from models_py.ml.retraining import planned


def model(dbt, session):
    dbt.config(materialized="table", tags=["ml"])
    configs = model_configs(dbt.config.get("ml_settings"))
    decision, champion = planned(dbt.ref("retraining_plan").df(), "ltv")
    snapshots = dbt.ref("customer_training_snapshots").df()
    features = dbt.ref("customer_features").df()
    return fit_and_score(snapshots, features, configs.ltv, decision, champion, configs.fingerprint("ltv"))
