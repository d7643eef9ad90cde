"""Checks of the churn model and its predictions.

- ``churn_model_auc`` (on gold/churn_model, ERROR, blocking): the validation ROC AUC of the
  latest model reaches ``SCV_CHURN_MIN_AUC`` (default 0.75); below it the predictions are
  not refreshed (they keep the previous model's scores).
- ``churn_feature_drift`` (on gold/churn_predictions, not blocking): the population
  stability index (PSI) of each main feature between the training rows and the scoring
  rows; WARN above ``SCV_CHURN_DRIFT_WARN_PSI`` (0.2), ERROR above
  ``SCV_CHURN_DRIFT_ERROR_PSI`` (0.25). PSI = sum over ten reference-decile bins (plus NULLs)
  of (actual - expected) x ln(actual / expected); by the usual rule of thumb below 0.1 is
  stable and above 0.25 a shift that a retrained model should see.
- ``churn_predictions_cover_current_customers`` (on gold/churn_predictions, ERROR, blocking):
  every current customer of gold.dim_customer has exactly one score in [0, 1] from one model
  version, and nobody else has one.

When no model could be trained (a history shorter than the horizon, a single class), the
model and coverage checks report it as a WARN, not an ERROR: a young warehouse still builds.
"""

import math
from typing import Any

import dagster as dg
import pandas as pd

from scv_platform.ml.artifacts import ArtifactStore
from scv_platform.ml.features import SCORING_ROLE
from scv_platform.ml.keys import MODEL_KEY, PREDICTIONS_KEY, LatestModel, latest_model
from scv_platform.ml.metrics import bin_shares, psi
from scv_platform.ml.tables import PREDICTIONS, prediction_coverage, read_features
from scv_platform.resources.warehouse import WAREHOUSE_KEY
from scv_platform.settings import ChurnSettings
from scv_platform.warehouse.gateway import open_gateway


def auc_gate(metrics: dict[str, Any], min_auc: float) -> tuple[bool, str]:
    """Whether a model's validation ROC AUC reaches ``min_auc``, and why in words."""
    auc = metrics.get("validation", {}).get("roc_auc")
    version = metrics.get("model_version", "the model")
    if auc is None or not math.isfinite(auc):
        return False, (
            f"{version} has no validation ROC AUC: the validation cutoff holds a single class "
            "(nobody or everybody churned). Load a longer history or more customers, then "
            "re-materialise gold/churn_model."
        )
    if auc < min_auc:
        return False, (
            f"{version} ranks churners poorly: validation ROC AUC {auc:.3f} is below "
            f"{min_auc:.2f}, so gold/churn_predictions keeps the previous scores. Check "
            "gold.churn_labels (churn rate per cutoff) and gold.churn_features for broken or "
            "empty features (an upstream fact table missing days, a customer id change), "
            "then re-materialise gold/churn_model."
        )
    return True, f"{version}: validation ROC AUC {auc:.3f} (threshold {min_auc:.2f})."


def no_model_result(latest: LatestModel) -> dg.AssetCheckResult:
    """Not an error to block on: a young warehouse has too little history for a model."""
    return dg.AssetCheckResult(
        passed=False,
        severity=dg.AssetCheckSeverity.WARN,
        description=(
            f"No churn model was trained, so customers have no churn score: {latest.reason}"
        ),
    )


def feature_drift(
    reference: dict[str, dict[str, list[float]]],
    scoring: Any,
    settings: ChurnSettings,
    version: str,
) -> dg.AssetCheckResult:
    """PSI of each reference feature between the training rows and ``scoring``."""
    values = {
        name: psi(bins["shares"], bin_shares(scoring[name], bins["edges"]))
        for name, bins in reference.items()
        if name in scoring
    }
    ordered = dict(sorted(values.items(), key=lambda item: -item[1]))
    worst_name, worst = next(iter(ordered.items()), ("none", 0.0))
    drifted = [n for n, v in ordered.items() if v > settings.drift_warn_psi]
    error = worst > settings.drift_error_psi
    if drifted:
        description = (
            f"{len(drifted)} of {len(values)} main features moved between training and "
            f"scoring (PSI above {settings.drift_warn_psi}): {', '.join(drifted)}; the worst "
            f"is {worst_name} at {worst:.2f}. The customers scored today differ from those the "
            "model learnt from: look for a change in the sources (a missing card file, a new "
            "customer base) and re-materialise gold/churn_model on the recent history."
        )
    else:
        description = (
            f"No drift: every main feature has PSI <= {settings.drift_warn_psi} "
            f"(largest {worst_name} {worst:.3f})."
        )
    return dg.AssetCheckResult(
        passed=not drifted,
        severity=dg.AssetCheckSeverity.ERROR if error else dg.AssetCheckSeverity.WARN,
        description=description,
        metadata={
            "max_psi": float(worst),
            "drifted_features": len(drifted),
            "psi_by_feature": dg.MetadataValue.md(
                pd.Series(ordered, name="PSI").rename_axis("feature").round(3).to_markdown()
            ),
            "warn_above": settings.drift_warn_psi,
            "error_above": settings.drift_error_psi,
            "model_version": version,
        },
    )


def coverage_result(coverage: dict[str, Any]) -> dg.AssetCheckResult:
    problems = []
    if coverage["missing"]:
        problems.append(
            f"{coverage['missing']} of {coverage['current_customers']} current customers have "
            f"no churn score (e.g. {', '.join(coverage['sample'][:5])})"
        )
    if coverage["not_current"]:
        problems.append(f"{coverage['not_current']} scores belong to no current customer")
    if coverage["duplicated"]:
        problems.append(f"{coverage['duplicated']} customers are scored more than once")
    if coverage["invalid_probability"]:
        problems.append(f"{coverage['invalid_probability']} probabilities are not in [0, 1]")
    if coverage["model_versions"] > 1:
        problems.append(f"scores come from {coverage['model_versions']} model versions")
    description = (
        "; ".join(problems) + ". gold.churn_predictions is out of step with gold.dim_customer: "
        "re-materialise gold/churn_features (dbt) and gold/churn_predictions together."
        if problems
        else f"All {coverage['current_customers']} current customers have one valid score."
    )
    return dg.AssetCheckResult(
        passed=not problems,
        severity=dg.AssetCheckSeverity.ERROR,
        description=description[0].upper() + description[1:],
        metadata={k: v for k, v in coverage.items() if k != "sample"},
    )


def build_churn_checks(
    store: ArtifactStore, settings: ChurnSettings
) -> list[dg.AssetChecksDefinition]:
    """The model-quality gate, the drift check and the coverage gate."""

    @dg.asset_check(
        asset=MODEL_KEY,
        name="churn_model_auc",
        blocking=True,
        description=(
            f"The latest model's validation ROC AUC reaches {settings.min_auc} "
            "(SCV_CHURN_MIN_AUC). Blocking: below it the predictions are not refreshed."
        ),
    )
    def churn_model_auc(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        latest = latest_model(context.instance)
        if latest.version is None:
            return no_model_result(latest)
        metrics = store.load_metrics(latest.version)
        passed, description = auc_gate(metrics, settings.min_auc)
        return dg.AssetCheckResult(
            passed=passed,
            severity=dg.AssetCheckSeverity.ERROR,
            description=description,
            metadata={
                "model_version": latest.version,
                "roc_auc": metrics.get("validation", {}).get("roc_auc"),
                "threshold": settings.min_auc,
            },
        )

    @dg.asset_check(
        asset=PREDICTIONS_KEY,
        name="churn_feature_drift",
        blocking=False,
        required_resource_keys={WAREHOUSE_KEY},
        description=(
            "Population stability index of the main features between the model's training "
            f"rows and today's scoring rows: WARN above {settings.drift_warn_psi}, ERROR above "
            f"{settings.drift_error_psi}."
        ),
    )
    def churn_feature_drift(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        with open_gateway(getattr(context.resources, WAREHOUSE_KEY)) as gateway:
            scoring = read_features(gateway, SCORING_ROLE)
            versions = gateway.execute(
                f"SELECT DISTINCT model_version FROM {PREDICTIONS.sql} ORDER BY 1"
            )
        if not versions:
            return dg.AssetCheckResult(
                passed=True, description="No churn scores yet: no drift to measure."
            )
        version = versions[-1][0]
        reference = store.load_metrics(version).get("drift_reference", {})
        return feature_drift(reference, scoring, settings, version)

    @dg.asset_check(
        asset=PREDICTIONS_KEY,
        name="churn_predictions_cover_current_customers",
        blocking=True,
        required_resource_keys={WAREHOUSE_KEY},
        description=(
            "Every current customer (gold.dim_customer) has exactly one churn score in [0, 1] "
            "from one model version, and nobody else has one. Blocking."
        ),
    )
    def churn_predictions_cover(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        with open_gateway(getattr(context.resources, WAREHOUSE_KEY)) as gateway:
            coverage = prediction_coverage(gateway)
        latest = latest_model(context.instance)
        if latest.version is None and coverage["missing"] == coverage["current_customers"]:
            return no_model_result(latest)
        return coverage_result(coverage)

    return [churn_model_auc, churn_feature_drift, churn_predictions_cover]
