"""The ml_runtime node: which libraries it imports up front, and the versions it records."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from models_py.ml.runtime import tracking_likely

ROOT = Path(__file__).resolve().parents[3]


def test_mlflow_is_imported_up_front_only_when_the_build_will_probably_use_it(tmp_path: Path) -> None:
    store = tmp_path / "mlflow.db"
    uri = f"sqlite:///{store}"
    assert tracking_likely(uri, "max_age", False)  # no store yet: a first build trains
    store.write_bytes(b"")
    assert not tracking_likely(uri, "max_age", False)  # champions read with sqlite3
    assert not tracking_likely(uri, "on_drift", False)
    assert tracking_likely(uri, "always", False)
    assert tracking_likely(uri, "max_age", True)
    assert tracking_likely("http://tracking-server:5000", "max_age", False)  # the client reads a server


_PROBE = """
import json, sys
from models_py.ml.runtime import load_runtime
before = "sklearn" in sys.modules, "xgboost" in sys.modules, "mlflow" in sys.modules
table = load_runtime(with_tracking={with_tracking}, tracking_uri="{uri}")
after = ["sklearn" in sys.modules, "xgboost" in sys.modules, "mlflow.sklearn" in sys.modules,
         "mlflow.store.tracking.sqlalchemy_store" in sys.modules]
import numpy, pandas, scipy, sklearn, xgboost
print(json.dumps({{
    "before": before,
    "after": after,
    "rows": dict(zip(table["library"], table["version"])),
    "modules": {{"numpy": numpy.__version__, "pandas": pandas.__version__, "scipy": scipy.__version__,
                 "scikit-learn": sklearn.__version__, "xgboost": xgboost.__version__,
                 "python": sys.version.split()[0]}},
}}))
"""


@pytest.mark.parametrize(
    ("with_tracking", "uri", "sql_store"),
    [
        (False, "sqlite:///warehouse/mlflow.db", False),
        (True, "sqlite:///warehouse/mlflow.db", True),  # the first model to log found it imported
        (True, "http://tracking-server:5000", False),  # a server's client never opens it
    ],
)
def test_load_runtime_imports_the_libraries_and_records_the_versions_in_use(
    with_tracking: bool, uri: str, sql_store: bool
) -> None:
    probe = _PROBE.format(with_tracking=with_tracking, uri=uri)
    result = json.loads(
        subprocess.run([sys.executable, "-c", probe], cwd=ROOT, check=True, capture_output=True, text=True).stdout
    )
    assert result["before"] == [False, False, False]
    assert result["after"] == [True, True, with_tracking, sql_store]
    rows = result["rows"]
    assert set(rows) == {"python", "numpy", "pandas", "scipy", "scikit-learn", "xgboost", "threadpoolctl", "mlflow"}
    # The versions the imported modules report themselves (xgboost-cpu installs the xgboost module).
    assert {library: rows[library] for library in result["modules"]} == result["modules"]
    assert rows["mlflow"]
