"""Retraining cadence of the churn model: when the latest model can be kept instead of a
retrain (``ChurnSettings.retrain_days``).

A daily build moves every cutoff on by a day; a model trained a few days ago on the same
features and horizon still describes the customers, so it is kept and scores the new day.
It is retrained once its latest training cutoff is ``retrain_days`` behind, at once when the
history at the same cutoff changed (a restatement), when the features or the horizon
changed, or when its artifact is missing.
"""

from datetime import date
from typing import Any

from scv_platform.ml.features import CATEGORICAL, FLAGS, NUMERIC


def _same_features(report: dict[str, Any]) -> bool:
    features = report.get("features", {})
    return (
        features.get("numeric") == list(NUMERIC)
        and features.get("categorical") == list(CATEGORICAL)
        and features.get("flags") == list(FLAGS)
    )


def keep_reason(
    report: dict[str, Any] | None, last_cutoff: date, horizon_days: int, retrain_days: int
) -> str | None:
    """Why the model of ``report`` (its metrics.json) can score instead of a new one trained
    with ``last_cutoff`` as latest training cutoff; None when it must be retrained."""
    if report is None or retrain_days <= 0:
        return None
    window = report.get("training_window", {})
    cutoffs = window.get("training_cutoffs") or []
    if not cutoffs or window.get("horizon_days") != horizon_days or not _same_features(report):
        return None
    behind = (last_cutoff - date.fromisoformat(max(cutoffs))).days
    if not 0 < behind < retrain_days:
        return None
    return (
        f"its latest training cutoff ({max(cutoffs)}) is {behind} day(s) before today's "
        f"({last_cutoff}); the model retrains every {retrain_days} days "
        "(SCV_CHURN_RETRAIN_DAYS) or when forced (run config force_retrain)"
    )
