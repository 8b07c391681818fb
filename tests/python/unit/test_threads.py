"""Native threads of the ML models: the dbt var ml_threads and the pools it caps."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from models_py.ml.config import ModelConfigs, model_configs

ROOT = Path(__file__).resolve().parents[3]
# ml_settings as dbt_project/models/ml/_ml__models.yml renders it: each key from its dbt var.
_SETTING_VARS = re.findall(r"'(\w+)': var\('(\w+)'\)", (ROOT / "dbt_project/models/ml/_ml__models.yml").read_text())


def _configs(**overrides: object) -> ModelConfigs:
    project_vars = yaml.safe_load((ROOT / "dbt_project.yml").read_text())["vars"]
    settings = {key: project_vars[name] for key, name in _SETTING_VARS} | overrides
    settings["churn_candidates"] = ",".join(settings["churn_candidates"])  # type: ignore[arg-type]
    return model_configs(json.dumps({"mlflow_tracking_uri": "sqlite:///mlflow.db", **settings}))


def test_ml_threads_reaches_every_model_and_does_not_change_what_they_learn() -> None:
    default, four = _configs(), _configs(ml_threads=4)
    assert (default.threads, default.churn.threads, default.ltv.threads, default.churn.ltv.threads) == (1, 1, 1, 1)
    assert (four.threads, four.churn.threads, four.ltv.threads) == (4, 4, 4)
    # The same trees at any thread count: no champion is retrained for it.
    assert all(default.fingerprint(family) == four.fingerprint(family) for family in ("segmentation", "churn", "ltv"))
    with pytest.raises(ValueError, match="ml_threads must be 1 or more"):
        _configs(ml_threads=0)


_POOLS = """
import json, threading
import sklearn.cluster._k_means_lloyd  # loads scikit-learn's OpenMP runtime
from threadpoolctl import threadpool_info
from models_py.ml.threads import limit_native_threads

def pools():
    return {(pool["user_api"], pool["filepath"]): pool["num_threads"] for pool in threadpool_info()}

result = {}
def model():  # as dbt runs a Python model: on a worker thread
    result["before"] = pools()
    limit_native_threads(1)
    result["after"] = pools()
worker = threading.Thread(target=model)
worker.start()
worker.join()
print(json.dumps({key: [[*pool, threads] for pool, threads in value.items()] for key, value in result.items()}))
"""


def test_limit_native_threads_caps_blas_and_openmp_on_the_model_thread() -> None:
    if (os.cpu_count() or 1) < 2:
        pytest.skip("one core: every pool has one thread already, nothing to cap")
    # A fresh process without the thread variables the test command sets (OMP_NUM_THREADS=1).
    env = {key: value for key, value in os.environ.items() if not key.endswith("_NUM_THREADS")}
    output = subprocess.run(
        [sys.executable, "-c", _POOLS], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    pools = json.loads(output)
    before = {(api, path): threads for api, path, threads in pools["before"]}
    after = {(api, path): threads for api, path, threads in pools["after"]}
    assert {api for api, _ in before} >= {"blas", "openmp"}
    assert max(before.values()) > 1  # else the cap proves nothing
    assert set(after) == set(before) and set(after.values()) == {1}
