"""Scoring customers: churn probability, risk band and model version per customer.

Risk bands (``SCV_CHURN_HIGH_RISK_PROBABILITY`` / ``_MEDIUM_RISK_PROBABILITY``): ``high``
from 0.5 up, ``medium`` from 0.2 up, else ``low``: with calibrated probabilities, a high-risk
customer is more likely than not to have no order and no approved card transaction in the
horizon.
"""

from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from scv_platform.ml.features import MODEL_FEATURES
from scv_platform.settings import ChurnSettings

HIGH, MEDIUM, LOW = "high", "medium", "low"
RISK_BANDS = (HIGH, MEDIUM, LOW)


def risk_bands(probability: np.ndarray, settings: ChurnSettings) -> np.ndarray:
    probability = np.asarray(probability, dtype=float)
    return np.where(
        probability >= settings.high_risk_probability,
        HIGH,
        np.where(probability >= settings.medium_risk_probability, MEDIUM, LOW),
    )


def score(
    model: Any,
    features: pd.DataFrame,
    version: str,
    scored_at: datetime,
    settings: ChurnSettings,
) -> pd.DataFrame:
    """One row per scored customer with the columns of ``gold.churn_predictions``."""
    if features.empty:
        probability = np.empty(0)
    else:
        with threadpool_limits(limits=1):
            probability = model.predict_proba(features[list(MODEL_FEATURES)])[:, 1]
    probability = np.clip(probability, 0.0, 1.0)
    return pd.DataFrame(
        {
            "scv_customer_id": features["scv_customer_id"].to_numpy(),
            "churn_probability": probability,
            "risk_band": risk_bands(probability, settings),
            "model_version": version,
            "scored_at": scored_at,
        }
    )
