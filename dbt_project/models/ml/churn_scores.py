from models_py.ml.churn import fit_and_score
from models_py.ml.config import model_configs
from models_py.ml.frames import to_pandas
from models_py.ml.retraining import planned


def model(dbt, session):
    dbt.config(materialized="table", tags=["ml"])
    configs = model_configs(dbt.config.get("ml_settings"))
    decision, champion = planned(to_pandas(dbt.ref("retraining_plan")), "churn")
    snapshots = to_pandas(dbt.ref("customer_training_snapshots"))
    features = to_pandas(dbt.ref("customer_features"))
    return fit_and_score(snapshots, features, configs.churn, decision, champion, configs.fingerprint("churn"))
