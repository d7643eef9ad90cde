"""Dagster assets of the churn model: ``gold/churn_model`` (train, select, calibrate, store a
versioned artifact) and ``gold/churn_predictions`` (score every current customer), with the
checks of :mod:`scv_platform.ml.checks`. Features and labels are dbt models
(``scv_dbt/models/marts/churn``)."""

import math
import time
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

import dagster as dg
import pandas as pd

from scv_platform.automation.policies import daily_freshness_policy
from scv_platform.automation.schedules import DAILY_CRON
from scv_platform.markdown import markdown_image
from scv_platform.ml.artifacts import METRICS_FILE, ArtifactStore, model_version, rows_digest
from scv_platform.ml.cadence import keep_reason
from scv_platform.ml.checks import auc_gate, build_churn_checks
from scv_platform.ml.features import (
    CATEGORICAL,
    DRIFT_FEATURES,
    FLAGS,
    KEYS,
    LABEL,
    MODEL_FEATURES,
    NUMERIC,
)
from scv_platform.ml.keys import (
    DIGEST_METADATA,
    FEATURES_KEY,
    FINGERPRINT_METADATA,
    GROUP,
    LABELS_KEY,
    MODEL_KEY,
    NOT_TRAINED_METADATA,
    PREDICTIONS_KEY,
    VERSION_METADATA,
    latest_model,
    latest_training_rows,
    previous_version,
)
from scv_platform.ml.metrics import psi_reference
from scv_platform.ml.scoring import RISK_BANDS, score
from scv_platform.ml.tables import (
    PREDICTION_COLUMNS,
    ensure_predictions_table,
    read_scoring_frame,
    read_training_frame,
    training_fingerprint,
    write_predictions,
)
from scv_platform.resources.warehouse import WAREHOUSE_KEY
from scv_platform.settings import Settings

if TYPE_CHECKING:  # scikit-learn and matplotlib load when a model is trained, not with the code
    from scv_platform.ml.training import TrainedModel

PREVIEW_ROWS = 10
TOP_FEATURES = 15


class ChurnModelConfig(dg.Config):
    """Run configuration of ``gold/churn_model``."""

    force_retrain: bool = False  # retrain even when the cadence would keep the latest model


class ChurnDefinitions(NamedTuple):
    """What :func:`build_churn_assets` returns: pass both to ``dg.Definitions``."""

    assets: list[dg.AssetsDefinition]
    asset_checks: list[dg.AssetChecksDefinition]


def _finite(value: float) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def training_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """What a model version is trained on: keys, features and label of every training row."""
    return frame[[*KEYS, *MODEL_FEATURES, LABEL]]


def model_report(
    trained: "TrainedModel", frame: pd.DataFrame, version: str, horizon_days: int, digest: str
) -> dict[str, Any]:
    """Everything ``metrics.json`` records about a model version."""
    import sklearn

    cutoffs = sorted(frame["cutoff_date"].unique())
    last = cutoffs[-1]
    split = trained.split
    return {
        "model_version": version,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "selected_model": trained.selected,
        "candidate_validation_roc_auc": {k: _finite(v) for k, v in trained.candidate_auc.items()},
        "calibration": trained.calibration,
        "training_window": {
            "training_cutoffs": [str(c) for c in cutoffs],
            "validation_cutoff": str(split.validation["cutoff_date"].max()),
            "horizon_days": horizon_days,
            "rows_digest": digest,
            "last_label_day": str(last + timedelta(days=horizon_days)),
            "split": split.kind,
            "split_note": split.note,
            "train_rows": len(split.train),
            "validation_rows": len(split.validation),
        },
        "validation": {k: _finite(v) if isinstance(v, float) else v
                       for k, v in trained.metrics.items()},
        "feature_importance": [
            {"feature": r.feature, "importance": float(r.importance), "std": float(r.std)}
            for r in trained.importances.itertuples()
        ],
        "features": {"numeric": list(NUMERIC), "categorical": list(CATEGORICAL),
                     "flags": list(FLAGS), "unused": trained.unused_features},
        "drift_reference": {name: psi_reference(frame[name]) for name in DRIFT_FEATURES},
        "parameters": trained.params,
        "scikit_learn": sklearn.__version__,
    }  # fmt: skip


def _model_metadata(
    report: dict[str, Any], charts: dict[str, bytes], folder: str, seconds: float
) -> dict[str, Any]:
    validation = report["validation"]
    window = report["training_window"]
    candidates = pd.DataFrame(
        [
            {"model": name, "validation ROC AUC": "n/a" if auc is None else f"{auc:.4f}",
             "selected": "yes" if name == report["selected_model"] else ""}
            for name, auc in report["candidate_validation_roc_auc"].items()
        ]
    )  # fmt: skip
    figures = {
        name: validation[name] if validation[name] is not None else "not defined"
        for name in ("roc_auc", "pr_auc", "brier_score", "lift_top_decile")
    }
    return {
        VERSION_METADATA: report["model_version"],
        "selected_model": report["selected_model"],
        **figures,
        "validation_churn_rate": validation["churn_rate"],
        "calibration": report["calibration"],
        "candidates": dg.MetadataValue.md(candidates.to_markdown(index=False)),
        "training_window": dg.MetadataValue.json(window),
        "train_rows": window["train_rows"],
        "validation_rows": window["validation_rows"],
        "unused_features": dg.MetadataValue.md(
            ", ".join(report["features"]["unused"]) or "none: every feature has values"
        ),
        "training_seconds": round(seconds, 2),
        "artifact": dg.MetadataValue.path(folder),
        "roc_curve": dg.MetadataValue.md(
            markdown_image(charts["roc_curve"], "ROC curve", "Validation cutoff, out of time.")
        ),
        "calibration_curve": dg.MetadataValue.md(
            markdown_image(
                charts["calibration_curve"],
                "calibration curve",
                "Observed churn rate against the predicted probability, per score decile.",
            )
        ),
        "top_features": dg.MetadataValue.md(
            markdown_image(
                charts["top_features"],
                "top features",
                "Permutation importance: drop in validation ROC AUC when a feature is shuffled.",
            )
        ),
    }


def _prediction_metadata(predictions: pd.DataFrame, features: pd.DataFrame) -> dict[str, Any]:
    bands = predictions["risk_band"].value_counts()
    by_band = {band: int(bands.get(band, 0)) for band in RISK_BANDS}
    head = predictions.sort_values("churn_probability", ascending=False).head(PREVIEW_ROWS)
    scored_as_of = str(features["cutoff_date"].max()) if len(features) else None
    return {
        "dagster/row_count": len(predictions),
        "dagster/column_schema": dg.TableSchema(
            columns=[dg.TableColumn(n, t.lower()) for n, t in PREDICTION_COLUMNS]
        ),
        VERSION_METADATA: str(predictions["model_version"].iloc[0]) if len(predictions) else "",
        "scored_as_of": scored_as_of or "no data",
        "customers_by_risk_band": dg.MetadataValue.json(by_band),
        "mean_churn_probability": _finite(float(predictions["churn_probability"].mean()))
        if len(predictions)
        else 0.0,
        "highest_risk": dg.MetadataValue.md(
            head.round({"churn_probability": 4}).to_markdown(index=False)
        ),
    }


def build_churn_assets(settings: Settings, engine: str) -> ChurnDefinitions:
    """``gold/churn_model`` and ``gold/churn_predictions`` with their three checks."""
    churn = settings.churn
    store = ArtifactStore(settings.artifacts_dir)

    @dg.asset(
        key=MODEL_KEY,
        group_name=GROUP,
        kinds={"python", "scikit-learn", engine},
        deps=[FEATURES_KEY, LABELS_KEY],
        freshness_policy=daily_freshness_policy(),
        automation_condition=dg.AutomationCondition.on_cron(DAILY_CRON, "UTC"),
        required_resource_keys={WAREHOUSE_KEY},
        description=(
            "Churn model (scikit-learn): a regularised logistic regression and a gradient-"
            "boosted model compared on a time-aware split (train on earlier training cutoffs, "
            "validate on the latest), the best by validation ROC AUC calibrated on the "
            "validation cutoff. Stored as a versioned artifact under SCV_ARTIFACTS_DIR/churn/ "
            "with metrics.json and charts; the metadata shows version, training window, "
            "ROC AUC, PR AUC, Brier score, top-decile lift and the charts. Retrained when its "
            "training rows change: the training cutoffs move every SCV_CHURN_RETRAIN_DAYS (7) "
            "days, or the history at them was restated; else kept (metadata retrained / "
            "kept_because; run config force_retrain: true retrains)."
        ),
    )
    def churn_model(
        context: dg.AssetExecutionContext, config: ChurnModelConfig
    ) -> dg.MaterializeResult:
        started = time.perf_counter()
        warehouse = getattr(context.resources, WAREHOUSE_KEY)
        fingerprint = training_fingerprint(warehouse)
        known = latest_training_rows(context.instance)
        same_rows = fingerprint is not None and known is not None and known[0] == fingerprint
        kept = None
        if same_rows and not config.force_retrain:  # the rows are known: not read again
            digest = known[1]
            last_cutoff = date.fromisoformat(fingerprint["last_cutoff"][:10])
            kept = _kept(context.instance, last_cutoff, digest)
        rows_read = kept is None
        if kept is None:
            frame = read_training_frame(warehouse)
            digest = rows_digest(training_rows(frame))
            # rows with a known fingerprint were weighed against the cadence above already
            if not (config.force_retrain or frame.empty or same_rows):
                last_cutoff = pd.Timestamp(frame["cutoff_date"].max()).date()
                kept = _kept(context.instance, last_cutoff, digest)
        rows = {FINGERPRINT_METADATA: dg.MetadataValue.json(fingerprint or {}),
                DIGEST_METADATA: digest}  # fmt: skip
        if kept is not None:
            version, reason, report = kept
            context.log.info(f"churn model {version} kept: {reason}")
            metadata = _model_metadata(
                report,
                store.load_charts(version),
                str(store.folder(version)),
                time.perf_counter() - started,
            )
            return dg.MaterializeResult(
                metadata={
                    **metadata,
                    **rows,
                    "retrained": False,
                    "kept_because": reason,
                    "training_rows_read": rows_read,
                }
            )
        # scikit-learn and matplotlib load only to train
        from scv_platform.ml.plots import calibration_png, importances_png, roc_png
        from scv_platform.ml.training import TrainingError, train

        try:
            if frame.empty:
                raise TrainingError(
                    "gold.churn_features has no training rows: the history is shorter than "
                    f"the churn horizon ({settings.churn_horizon_days} days, "
                    "SCV_CHURN_HORIZON_DAYS) or there are no customers"
                )
            trained = train(frame, churn.seed)
        except TrainingError as exc:
            reason = f"{exc}. Scores follow once the data allow a model."
            context.log.warning(f"no churn model trained: {reason}")
            return dg.MaterializeResult(
                metadata={NOT_TRAINED_METADATA: reason, "training_rows": len(frame)}
            )
        params = {"candidates": trained.params, "seed": churn.seed,
                  "horizon_days": settings.churn_horizon_days}  # fmt: skip
        version = model_version(training_rows(frame), params, frame["cutoff_date"].max())
        report = model_report(trained, frame, version, settings.churn_horizon_days, digest)
        validation = report["validation"]
        charts = {
            "roc_curve": roc_png(
                trained.validation_y, trained.validation_probability, validation["roc_auc"] or 0
            ),
            "calibration_curve": calibration_png(
                trained.validation_y, trained.validation_probability
            ),
            "top_features": importances_png(trained.importances, TOP_FEATURES),
        }
        folder = store.save(version, trained.model, report, charts)
        context.log.info(f"churn model {version} ({trained.selected}) stored in {folder}")
        seconds = time.perf_counter() - started
        metadata = _model_metadata(report, charts, str(folder), seconds)
        return dg.MaterializeResult(metadata={**metadata, **rows, "retrained": True})

    def _kept(
        instance: dg.DagsterInstance, last_cutoff: date, digest: str
    ) -> tuple[str, str, dict[str, Any]] | None:
        """(version, why, its metrics report) of the latest model when the retraining cadence
        keeps it instead of one trained on rows whose latest cutoff is ``last_cutoff`` and
        whose digest is ``digest``."""
        version = previous_version(instance)
        if version is None or not (store.folder(version) / METRICS_FILE).exists():
            return None
        report = store.load_metrics(version)
        reason = keep_reason(
            report,
            last_cutoff,
            settings.churn_horizon_days,
            churn.retrain_days,
            digest,
        )
        return (version, reason, report) if reason else None

    @dg.asset(
        key=PREDICTIONS_KEY,
        group_name=GROUP,
        kinds={"python", engine},
        deps=[MODEL_KEY, FEATURES_KEY],
        freshness_policy=daily_freshness_policy(),
        automation_condition=dg.AutomationCondition.eager(),
        required_resource_keys={WAREHOUSE_KEY},
        description=(
            "Churn score of every current customer as of the last day with data "
            "(contracts.md): scv_customer_id, churn_probability (calibrated, 0..1), risk_band "
            f"(high >= {churn.high_risk_probability}, medium >= "
            f"{churn.medium_risk_probability}, else low), model_version and scored_at (UTC), "
            "from the latest gold/churn_model."
        ),
    )
    def churn_predictions(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        latest = latest_model(context.instance)
        warehouse = getattr(context.resources, WAREHOUSE_KEY)
        if latest.version is None:
            ensure_predictions_table(warehouse)
            context.log.warning(f"no churn model, scores left as they are: {latest.reason}")
            return dg.MaterializeResult(metadata={NOT_TRAINED_METADATA: latest.reason})
        version = latest.version
        passed, reason = auc_gate(store.load_metrics(version), churn.min_auc)
        if not passed:
            raise dg.Failure(description=f"Not scoring with this model: {reason}")
        model = store.load_model(version)
        features = read_scoring_frame(warehouse)
        scored_at = datetime.now(UTC).replace(tzinfo=None)
        predictions = score(model, features, version, scored_at, churn)
        write_predictions(warehouse, predictions)
        return dg.MaterializeResult(metadata=_prediction_metadata(predictions, features))

    return ChurnDefinitions([churn_model, churn_predictions], build_churn_checks(store, churn))
