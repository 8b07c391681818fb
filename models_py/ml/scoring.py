"""Scoring ad-hoc feature rows with the model versions that scored a published build.

The same registered MLflow versions, loaded the same way and applied through the
same functions as in the build (``segmentation.load_registered``,
``churn.load_registered``, ``ltv.load_registered``), so a customer's stored
features scored here give their stored scores.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from models_py.ml import churn, ltv, segmentation
from models_py.ml.features import MODEL_FEATURES
from models_py.ml.retraining import FAMILIES, Champion
from models_py.ml.tracking import registered_version

# As named in reporting.customer_scores.
CHURN_REASON_COLUMNS = ("churn_reason_1", "churn_reason_2", "churn_reason_3")
SCORE_COLUMNS = ("segment_id", "segment_name", "churn_probability", "predicted_ltv", *CHURN_REASON_COLUMNS)


@dataclass(frozen=True)
class ScoringModels:
    versions: dict[str, Champion]  # family -> the registered version
    segmentation: segmentation.RegisteredSegmentation
    churn: churn.RegisteredChurnModel
    ltv: ltv.RegisteredLtvModel

    @classmethod
    def load(cls, tracking_uri: str, versions: Mapping[str, int]) -> ScoringModels:
        """Load the registered ``versions`` (family -> version number) from the MLflow store."""
        registered = {family: registered_version(tracking_uri, family, versions[family]) for family in FAMILIES}
        return cls(
            versions=registered,
            segmentation=segmentation.load_registered(registered["segmentation"], tracking_uri),
            churn=churn.load_registered(registered["churn"], tracking_uri),
            ltv=ltv.load_registered(registered["ltv"], tracking_uri),
        )

    def score(self, features: pd.DataFrame) -> pd.DataFrame:
        """Segment, churn probability and predicted LTV per row of ``features``.

        ``features`` holds the MODEL_FEATURES columns (which include the
        segmentation features); the output has SCORE_COLUMNS (with the churn
        reasons in words), one row per input row.
        """
        frame = features.loc[:, list(MODEL_FEATURES)]
        labels = self.segmentation.labels(frame)
        probabilities, reasons = self.churn.score(frame)
        return pd.DataFrame(
            {
                "segment_id": labels,
                "segment_name": [segmentation.segment_name(self.segmentation.names, label) for label in labels],
                "churn_probability": probabilities,
                "predicted_ltv": self.ltv.predict(frame),
                **{
                    column: reasons[f"reason_{rank}_text"].to_numpy()
                    for rank, column in enumerate(CHURN_REASON_COLUMNS, start=1)
                },
            },
            index=features.index,
        )
