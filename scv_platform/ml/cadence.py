"""Retraining cadence of the churn model: when the latest model can be kept instead of a
retrain (``ChurnSettings.retrain_days``).

The training cutoffs move every ``retrain_days`` days (dbt ``churn_cutoffs``), so on the days
between, the training rows are those the latest model was trained on: it is kept and scores
the new day. A model is also kept while its latest training cutoff is 1 to ``retrain_days``
- 1 days behind (cutoffs that move daily). It is retrained when the training rows at the
same cutoffs changed (a restatement), when the features or the horizon changed, when its
artifact is missing, and once the cutoffs have moved ``retrain_days`` days on.
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
    report: dict[str, Any] | None,
    last_cutoff: date,
    horizon_days: int,
    retrain_days: int,
    training_rows_digest: str,
) -> str | None:
    """Why the model of ``report`` (its metrics.json) can score instead of a new one trained
    on rows with ``training_rows_digest`` and ``last_cutoff`` as latest training cutoff; None
    when it must be retrained."""
    if report is None or retrain_days <= 0:
        return None
    window = report.get("training_window", {})
    cutoffs = window.get("training_cutoffs") or []
    if not cutoffs or window.get("horizon_days") != horizon_days or not _same_features(report):
        return None
    behind = (last_cutoff - date.fromisoformat(max(cutoffs))).days
    if behind == 0 and window.get("rows_digest") == training_rows_digest:
        return (
            f"it was trained on the same training rows (latest cutoff {last_cutoff}); the "
            f"cutoffs move every {retrain_days} days (SCV_CHURN_RETRAIN_DAYS), or retrain "
            "when forced (run config force_retrain)"
        )
    if not 0 < behind < retrain_days:
        return None
    return (
        f"its latest training cutoff ({max(cutoffs)}) is {behind} day(s) before today's "
        f"({last_cutoff}); the model retrains every {retrain_days} days "
        "(SCV_CHURN_RETRAIN_DAYS) or when forced (run config force_retrain)"
    )
