"""to_pandas: the thin models' one conversion, for each engine's frame type that can be built here."""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pytest

from models_py.ml.frames import to_pandas

EXPECTED = pd.DataFrame({"customer_id": ["a", "b"], "monetary": [1.5, 2.0], "frequency": [1, 3]})


class SparkLike:
    """A stand-in with a Spark DataFrame's API (select by names, toPandas), recording what was asked."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.selected: tuple[str, ...] | None = None
        self.condition: str | None = None

    def filter(self, condition: str) -> SparkLike:
        self.condition = condition
        return SparkLike(self.frame.query(condition))

    def select(self, *columns: str) -> SparkLike:
        self.selected = columns
        return SparkLike(self.frame.loc[:, list(columns)])

    def toPandas(self) -> pd.DataFrame:
        return self.frame.copy()


@pytest.mark.parametrize(
    "make",
    [
        lambda frame: frame,
        lambda frame: pa.Table.from_pandas(frame),
        lambda frame: SparkLike(frame),
    ],
    ids=["pandas", "arrow", "spark-like"],
)
def test_every_engine_frame_becomes_the_same_pandas_frame(make: Any) -> None:
    pd.testing.assert_frame_equal(to_pandas(make(EXPECTED)), EXPECTED)
    pd.testing.assert_frame_equal(to_pandas(make(EXPECTED), ["monetary"]), EXPECTED[["monetary"]])
    filtered = to_pandas(make(EXPECTED), ["customer_id"], where="frequency >= 2 and monetary < 5")
    assert filtered["customer_id"].tolist() == ["b"]


def test_a_duckdb_relation_is_converted_and_projected_in_duckdb() -> None:
    con = duckdb.connect()
    try:
        relation = con.from_df(EXPECTED)
        pd.testing.assert_frame_equal(to_pandas(relation), EXPECTED)
        pd.testing.assert_frame_equal(
            to_pandas(relation, ["frequency", "customer_id"]), EXPECTED[["frequency", "customer_id"]]
        )
        assert to_pandas(relation, where="frequency >= 2")["customer_id"].tolist() == ["b"]
    finally:
        con.close()


def test_rows_and_columns_are_chosen_in_the_engine_before_the_transfer() -> None:
    source = SparkLike(EXPECTED)
    to_pandas(source, ["customer_id"])
    assert source.selected == ("customer_id",)
    to_pandas(source, where="frequency >= 2")
    assert source.condition == "frequency >= 2"


def test_an_unknown_object_names_its_type_and_the_methods_tried() -> None:
    with pytest.raises(
        TypeError, match=r"cannot turn a builtins\.list into pandas: it has none of toPandas, to_pandas, df"
    ):
        to_pandas([1, 2])
