"""Champions loaded from their folder without MLflow predict what MLflow's own loaders give."""

from __future__ import annotations

from pathlib import Path

import mlflow.sklearn
import mlflow.xgboost
import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from xgboost import XGBClassifier, XGBRegressor

from models_py.errors import RetailError
from models_py.ml.model_reader import load_local_model

RNG = np.random.default_rng(3)
X = pd.DataFrame(RNG.normal(size=(200, 4)), columns=["recency", "frequency", "monetary", "tenure"])
Y = (X["recency"] + RNG.normal(scale=0.5, size=200) > 0).astype(int)


def _saved(folder: Path, model: object, flavor: str, **options: object) -> str:
    saver = mlflow.xgboost.save_model if flavor == "xgboost" else mlflow.sklearn.save_model
    saver(model, str(folder), pip_requirements=["scikit-learn"], **options)  # explicit: inferring them runs uv
    return folder.as_uri()


@pytest.mark.parametrize(
    ("name", "model", "method", "flavor", "options"),
    [
        (
            "cloudpickled pipeline with a numpy function",
            make_pipeline(FunctionTransformer(np.log1p), StandardScaler(), LogisticRegression()),
            "predict_proba",
            "sklearn",
            {"serialization_format": "cloudpickle"},
        ),
        (
            "pickled k-means",
            KMeans(n_clusters=3, n_init=2, random_state=0),
            "predict",
            "sklearn",
            {"serialization_format": "pickle"},
        ),
        ("xgboost classifier", XGBClassifier(n_estimators=5, max_depth=2), "predict_proba", "xgboost", {}),
        ("xgboost regressor", XGBRegressor(n_estimators=5, max_depth=2), "predict", "xgboost", {}),
    ],
)
def test_loads_what_mlflow_loads(
    tmp_path: Path, name: str, model: object, method: str, flavor: str, options: dict[str, object]
) -> None:
    model.fit(X.abs(), Y)  # type: ignore[attr-defined]
    source = _saved(tmp_path / "model", model, flavor, **options)
    expected = (mlflow.xgboost if flavor == "xgboost" else mlflow.sklearn).load_model(source)

    loaded = load_local_model(source, flavor)

    assert type(loaded) is type(expected), name
    np.testing.assert_array_equal(getattr(loaded, method)(X.abs()), getattr(expected, method)(X.abs()))


def test_formats_it_does_not_read_are_left_to_mlflow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = LogisticRegression().fit(X, Y)
    source = _saved(tmp_path / "model", model, "sklearn", serialization_format="cloudpickle")
    assert load_local_model(_saved(tmp_path / "skops", model, "sklearn"), "sklearn") is None  # MLflow's default
    assert load_local_model("mlflow-artifacts:/1/abc/artifacts/model", "sklearn") is None  # a tracking server
    assert load_local_model(source, "xgboost") is None  # the folder has no xgboost flavor
    booster = XGBClassifier(n_estimators=2).fit(X, Y).get_booster()
    assert load_local_model(_saved(tmp_path / "booster", booster, "xgboost"), "xgboost") is None  # a raw Booster
    monkeypatch.setenv("MLFLOW_ALLOW_PICKLE_DESERIALIZATION", "false")
    assert load_local_model(source, "sklearn") is None  # MLflow then refuses it with its own message


def test_a_moved_model_folder_names_the_missing_file(tmp_path: Path) -> None:
    source = (tmp_path / "gone" / "artifacts" / "model").as_uri()

    with pytest.raises(RetailError, match=r"gone/artifacts/model/MLmodel does not exist.*moved or copied"):
        load_local_model(source, "sklearn")
