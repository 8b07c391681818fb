from models_py.ml.churn import fit_and_score
from models_py.ml.config import model_configs
from models_py.ml.frames import to_pandas
from models_py.ml.retraining import planned, trains
from models_py.ml.threads import limit_native_threads
from models_py.ml.training_sets import read_training_sample


def model(dbt, session):
    dbt.config(materialized="table", tags=["ml"])
    configs = model_configs(dbt.config.get("ml_settings"))
    limit_native_threads(configs.threads)
    decision, champion = planned(to_pandas(dbt.ref("retraining_plan")), "churn")
    # Read only to train: at 100x the real data, 4M rows that scoring with the champion never uses.
    snapshots = (
        read_training_sample(dbt.ref("customer_training_snapshots"), configs.churn.customers_per_snapshot)
        if trains(decision, champion)
        else None
    )
    features = to_pandas(dbt.ref("customer_features"))
    return fit_and_score(snapshots, features, configs.churn, decision, champion, configs.fingerprint("churn"))
