"""The churn model: features and labels in dbt (``scv_dbt/models/marts/churn``), training,
selection, calibration, versioned artifacts, predictions and checks as Dagster assets."""

from scv_platform.ml.assets import ChurnDefinitions, build_churn_assets

__all__ = ["ChurnDefinitions", "build_churn_assets"]
