"""Asset keys of the churn model and where the current model version is recorded."""

from dataclasses import dataclass

import dagster as dg

GROUP = "gold_churn"
FEATURES_KEY = dg.AssetKey(["gold", "churn_features"])
LABELS_KEY = dg.AssetKey(["gold", "churn_labels"])
MODEL_KEY = dg.AssetKey(["gold", "churn_model"])
PREDICTIONS_KEY = dg.AssetKey(["gold", "churn_predictions"])
VERSION_METADATA = "model_version"
NOT_TRAINED_METADATA = "not_trained_because"


@dataclass(frozen=True)
class LatestModel:
    """The outcome of the latest ``gold/churn_model`` materialisation."""

    version: str | None  # None: no model could be trained
    reason: str = ""  # why not


def previous_version(instance: dg.DagsterInstance) -> str | None:
    """The model version of the latest ``gold/churn_model`` materialisation, if any."""
    event = instance.get_latest_materialization_event(MODEL_KEY)
    materialization = event.asset_materialization if event else None
    version = materialization.metadata.get(VERSION_METADATA) if materialization else None
    return str(version.value) if version is not None and version.value else None


def latest_model(instance: dg.DagsterInstance) -> LatestModel:
    """The model version of the latest ``gold/churn_model`` materialisation (or why none)."""
    event = instance.get_latest_materialization_event(MODEL_KEY)
    materialization = event.asset_materialization if event else None
    if materialization is None:
        raise dg.Failure(
            description=(
                "gold/churn_model has never been materialised in this Dagster instance: "
                "materialise it (group gold_churn) before scoring or checking the model."
            ),
            allow_retries=False,
        )
    version = materialization.metadata.get(VERSION_METADATA)
    if version is not None and version.value:
        return LatestModel(str(version.value))
    reason = materialization.metadata.get(NOT_TRAINED_METADATA)
    return LatestModel(None, str(reason.value) if reason is not None else "no model was trained")
