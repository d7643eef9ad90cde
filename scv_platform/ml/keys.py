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
# what the training rows were when the model was last materialised (trained or kept)
FINGERPRINT_METADATA = "training_rows_fingerprint"
DIGEST_METADATA = "training_rows_digest"


@dataclass(frozen=True)
class LatestModel:
    """The outcome of the latest ``gold/churn_model`` materialisation."""

    version: str | None  # None: no model could be trained
    reason: str = ""  # why not


def _latest_materialization(instance: dg.DagsterInstance) -> dg.AssetMaterialization | None:
    event = instance.get_latest_materialization_event(MODEL_KEY)
    return event.asset_materialization if event else None


def _version(materialization: dg.AssetMaterialization) -> str | None:
    version = materialization.metadata.get(VERSION_METADATA)
    return str(version.value) if version is not None and version.value else None


def previous_version(instance: dg.DagsterInstance) -> str | None:
    """The model version of the latest ``gold/churn_model`` materialisation, if any."""
    materialization = _latest_materialization(instance)
    return _version(materialization) if materialization else None


def latest_model(instance: dg.DagsterInstance) -> LatestModel:
    """The model version of the latest ``gold/churn_model`` materialisation (or why none)."""
    materialization = _latest_materialization(instance)
    if materialization is None:
        raise dg.Failure(
            description=(
                "gold/churn_model has never been materialised in this Dagster instance: "
                "materialise it (group gold_churn) before scoring or checking the model."
            ),
            allow_retries=False,
        )
    version = _version(materialization)
    if version is not None:
        return LatestModel(version)
    reason = materialization.metadata.get(NOT_TRAINED_METADATA)
    return LatestModel(None, str(reason.value) if reason is not None else "no model was trained")


def latest_training_rows(instance: dg.DagsterInstance) -> tuple[dict[str, str], str] | None:
    """(fingerprint, digest) of the training rows at the latest ``gold/churn_model``
    materialisation, when it recorded them."""
    materialization = _latest_materialization(instance)
    if materialization is None:
        return None
    fingerprint = materialization.metadata.get(FINGERPRINT_METADATA)
    digest = materialization.metadata.get(DIGEST_METADATA)
    if fingerprint is None or digest is None or not isinstance(fingerprint.value, dict):
        return None
    return dict(fingerprint.value), str(digest.value)
