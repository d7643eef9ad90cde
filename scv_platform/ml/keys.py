"""Asset keys of the churn model and where the current model version is recorded."""

import dagster as dg

GROUP = "gold_churn"
FEATURES_KEY = dg.AssetKey(["gold", "churn_features"])
LABELS_KEY = dg.AssetKey(["gold", "churn_labels"])
MODEL_KEY = dg.AssetKey(["gold", "churn_model"])
PREDICTIONS_KEY = dg.AssetKey(["gold", "churn_predictions"])
VERSION_METADATA = "model_version"


def latest_model_version(instance: dg.DagsterInstance) -> str:
    """The model version of the latest ``gold/churn_model`` materialisation."""
    event = instance.get_latest_materialization_event(MODEL_KEY)
    materialization = event.asset_materialization if event else None
    value = materialization.metadata.get(VERSION_METADATA) if materialization else None
    if value is None:
        raise dg.Failure(
            description=(
                "gold/churn_model has never been materialised in this Dagster instance: "
                "materialise it (group gold_churn) before scoring or checking the model."
            ),
            allow_retries=False,
        )
    return str(value.value)
