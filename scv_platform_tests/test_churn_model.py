"""The churn model on synthetic feature tables: training and selection, metrics, drift, risk
bands, artifacts, and the Dagster assets and checks in real materialisations on DuckDB (a
deliberately bad model is blocked by churn_model_auc and never scores)."""

import dataclasses
import json
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd
import pytest
import yaml
from dagster_duckdb import DuckDBResource

from scv_platform.ml import build_churn_assets
from scv_platform.ml.artifacts import ArtifactStore, model_version
from scv_platform.ml.checks import coverage_result, feature_drift
from scv_platform.ml.features import CATEGORICAL, FLAGS, LABEL, NUMERIC
from scv_platform.ml.keys import MODEL_KEY, PREDICTIONS_KEY
from scv_platform.ml.metrics import bin_shares, lift_at, psi, psi_reference
from scv_platform.ml.scoring import risk_bands
from scv_platform.ml.tables import prediction_coverage
from scv_platform.ml.training import TrainingError, train
from scv_platform.settings import DBT_PROJECT_DIR, ChurnSettings, load_settings
from scv_platform.warehouse.duckdb_connection import connection
from scv_platform.warehouse.gateway import DuckDBGateway

FIRST_CUTOFF = date(2025, 3, 1)


def synthetic_features(
    customers: int = 300, cutoffs: int = 3, seed: int = 0, recency_scale: float = 1.0
) -> pd.DataFrame:
    """Training rows (with labels) where churn follows recency and 90-day frequency."""
    rng = np.random.default_rng(seed)
    frames = []
    for k in range(cutoffs):
        frame = pd.DataFrame({name: rng.gamma(2.0, 10.0, customers) for name in NUMERIC})
        recency = rng.exponential(25.0, customers) * recency_scale
        frequency = rng.poisson(np.maximum(0.5, 30 - recency / 3))
        frame["recency_days"] = recency
        frame["frequency_90d"] = frequency.astype(float)
        frame["declined_share_90d"] = rng.uniform(0, 0.1, customers)
        frame.loc[frame.index % 7 == 0, "recency_card_days"] = np.nan  # orders-only customers
        for name in CATEGORICAL:
            frame[name] = rng.choice(["a", "b", "c"], customers)
        for name in FLAGS:
            frame[name] = rng.random(customers) < 0.8
        logit = -3.0 + recency / 15.0 - frequency / 20.0
        frame[LABEL] = (rng.random(customers) < 1 / (1 + np.exp(-logit))).astype(int)
        frame["cutoff_date"] = FIRST_CUTOFF + timedelta(days=30 * k)
        frame["cutoff_role"] = "training"
        frame["scv_customer_id"] = [f"SCV-{i:04d}" for i in range(customers)]
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def test_training_selects_by_auc_on_the_latest_cutoff_and_calibrates():
    frame = synthetic_features()
    trained = train(frame, seed=1)
    latest = frame["cutoff_date"].max()
    assert trained.split.kind == "time"
    assert (trained.split.validation["cutoff_date"] == latest).all()
    assert (trained.split.train["cutoff_date"] < latest).all()
    assert set(trained.candidate_auc) == {
        "logistic_regression_c0.1", "logistic_regression_c1", "gradient_boosting"
    }  # fmt: skip
    assert trained.candidate_auc[trained.selected] == max(trained.candidate_auc.values())
    assert trained.metrics["roc_auc"] > 0.8
    assert 0 < trained.metrics["brier_score"] < 0.25
    assert trained.metrics["lift_top_decile"] > 1.5
    probability = trained.model.predict_proba(trained.split.validation)[:, 1]
    assert ((probability >= 0) & (probability <= 1)).all()
    assert trained.importances.iloc[0]["feature"] in {"recency_days", "frequency_90d"}


def test_one_training_cutoff_holds_out_customers_and_one_class_cannot_train():
    frame = synthetic_features(cutoffs=1)
    trained = train(frame, seed=1)
    assert trained.split.kind == "customer_holdout"
    assert "only one training cutoff" in trained.split.note
    train_ids = set(trained.split.train["scv_customer_id"])
    assert not train_ids & set(trained.split.validation["scv_customer_id"])
    nobody_churns = frame.assign(**{LABEL: 0})
    with pytest.raises(TrainingError, match="0 churners"):
        train(nobody_churns, seed=1)


def test_lift_psi_and_risk_bands():
    y = np.array([1, 1, 0, 0, 0, 0, 0, 0, 0, 0])
    assert lift_at(y, np.linspace(1, 0, 10), share=0.2) == pytest.approx(5.0)
    assert lift_at(y, np.linspace(0, 1, 10), share=0.2) == pytest.approx(0.0)
    values = pd.Series(np.random.default_rng(0).exponential(10, 5000))
    reference = psi_reference(values)
    assert psi(reference["shares"], bin_shares(values.sample(frac=1, random_state=1),
                                               reference["edges"])) < 0.01  # fmt: skip
    assert psi(reference["shares"], bin_shares(values * 3, reference["edges"])) > 0.25
    with_nulls = pd.concat([values, pd.Series([np.nan] * 5000)])
    assert bin_shares(with_nulls, reference["edges"])[-1] == pytest.approx(0.5)
    bands = risk_bands(np.array([0.0, 0.19, 0.2, 0.49, 0.5, 1.0]), ChurnSettings())
    assert list(bands) == ["low", "low", "medium", "medium", "high", "high"]


def test_model_version_follows_data_and_parameters():
    frame = synthetic_features(customers=50, cutoffs=2)
    version = model_version(frame, {"seed": 1}, date(2025, 3, 31))
    assert version.startswith("churn-20250331-")
    assert model_version(frame.copy(), {"seed": 1}, date(2025, 3, 31)) == version
    flipped = frame.copy()
    flipped.loc[0, LABEL] = 1 - flipped.loc[0, LABEL]
    assert model_version(flipped, {"seed": 1}, date(2025, 3, 31)) != version
    assert model_version(frame, {"seed": 2}, date(2025, 3, 31)) != version


def test_drift_check_flags_a_shifted_feature():
    training = synthetic_features(customers=400, cutoffs=1)
    reference = {name: psi_reference(training[name]) for name in ("recency_days", "value_90d")}
    settings = ChurnSettings()
    same = feature_drift(reference, synthetic_features(400, 1, seed=5), settings, "v1")
    assert same.passed, same.description
    shifted = feature_drift(
        reference, synthetic_features(400, 1, seed=5, recency_scale=4.0), settings, "v1"
    )
    assert not shifted.passed
    assert shifted.severity == dg.AssetCheckSeverity.ERROR
    assert "recency_days" in shifted.description and "re-materialise" in shifted.description


# --- the assets in real materialisations --------------------------------------------------


def write_tables(path: Path, training: pd.DataFrame, customers: int) -> None:
    """gold.churn_features / churn_labels / dim_customer as the dbt models would write them."""
    scoring = synthetic_features(customers, 1, seed=9).assign(
        cutoff_role="scoring", cutoff_date=date(2025, 8, 1)
    )
    built_at = pd.Timestamp.now()  # each write is a new build, as dbt's incremental models'
    features = pd.concat([training, scoring], ignore_index=True).assign(_built_at=built_at)
    labels = training[["cutoff_date", "scv_customer_id", LABEL]].assign(_built_at=built_at)
    dim = pd.DataFrame({"scv_customer_id": scoring["scv_customer_id"], "is_current": True})
    with connection(path) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS gold")
        for name, frame in (("churn_features", features.drop(columns=[LABEL])),
                            ("churn_labels", labels), ("dim_customer", dim)):  # fmt: skip
            con.register("frame", frame)
            con.execute(f"CREATE OR REPLACE TABLE gold.{name} AS SELECT * FROM frame")
            con.unregister("frame")


def materialise(defs, path: Path, instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [*defs.assets, *defs.asset_checks],
        resources={"warehouse": DuckDBResource(database=str(path))},
        instance=instance,
        raise_on_error=False,
    )


def outcomes(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def materialised(result: dg.ExecuteInProcessResult) -> set[dg.AssetKey]:
    return {e.asset_key for e in result.get_asset_materialization_events()}


@pytest.fixture
def churn_defs(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("SCV_ARTIFACTS_DIR", str(tmp_path / "artifacts"))
    settings = load_settings()
    return settings, build_churn_assets(settings, "duckdb")


def test_assets_score_every_customer_and_a_bad_model_is_blocked(tmp_path, churn_defs):
    settings, defs = churn_defs
    path = tmp_path / "warehouse.duckdb"
    training = synthetic_features(customers=300, cutoffs=3)
    write_tables(path, training, customers=300)
    instance = dg.DagsterInstance.ephemeral()

    good = materialise(defs, path, instance)
    checks = outcomes(good)
    assert checks["churn_model_auc"].passed, checks["churn_model_auc"].description
    assert checks["churn_predictions_cover_current_customers"].passed
    assert checks["churn_feature_drift"].passed, checks["churn_feature_drift"].description
    assert {MODEL_KEY, PREDICTIONS_KEY} <= materialised(good)
    model_event = next(
        e for e in good.get_asset_materialization_events() if e.asset_key == MODEL_KEY
    )
    metadata = model_event.materialization.metadata
    version = metadata["model_version"].value
    for name in ("roc_curve", "calibration_curve", "top_features"):
        assert "data:image/png;base64," in metadata[name].value
    assert metadata["roc_auc"].value > 0.8
    folder = ArtifactStore(settings.artifacts_dir).folder(version)
    assert {"model.joblib", "metrics.json", "roc_curve.png"} <= {p.name for p in folder.iterdir()}
    report = json.loads((folder / "metrics.json").read_text())
    assert report["training_window"]["validation_cutoff"] == "2025-04-30"
    assert set(report["validation"]) >= {"roc_auc", "pr_auc", "brier_score", "lift_top_decile"}
    with connection(path, read_only=True) as con:
        rows = con.execute(
            "SELECT count(*), min(churn_probability), max(churn_probability), "
            "count(DISTINCT model_version), min(model_version) FROM gold.churn_predictions"
        ).fetchone()
    assert rows[0] == 300 and 0 <= rows[1] <= rows[2] <= 1 and rows[3] == 1
    assert rows[4] == version

    # labels that carry no signal: the model cannot rank churners and must not score
    shuffled = training.assign(**{LABEL: training[LABEL].sample(frac=1, random_state=3).to_numpy()})
    write_tables(path, shuffled, customers=300)
    bad = materialise(defs, path, instance)
    check = outcomes(bad)["churn_model_auc"]
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    assert "below 0.75" in check.description
    assert MODEL_KEY in materialised(bad)
    assert PREDICTIONS_KEY not in materialised(bad)
    failed_steps = {e.step_key for e in bad.all_events if e.is_step_failure}
    assert failed_steps == {"gold__churn_model_churn_model_auc"}  # predictions were blocked
    with connection(path, read_only=True) as con:  # the good model's scores stay
        assert con.execute(
            "SELECT DISTINCT model_version FROM gold.churn_predictions"
        ).fetchall() == [(version,)]
    with connection(path) as con:  # a customer without a score fails the coverage check
        con.execute("INSERT INTO gold.dim_customer VALUES ('SCV-NEW', true)")
        result = coverage_result(prediction_coverage(DuckDBGateway(con)))
    assert not result.passed and "1 of 301 current customers have no churn score" in (
        result.description
    )


def model_metadata(result: dg.ExecuteInProcessResult) -> dict[str, object]:
    event = next(e for e in result.get_asset_materialization_events() if e.asset_key == MODEL_KEY)
    return {name: value.value for name, value in event.materialization.metadata.items()}


def scored_version(path: Path) -> list[tuple[str]]:
    with connection(path, read_only=True) as con:
        return con.execute("SELECT DISTINCT model_version FROM gold.churn_predictions").fetchall()


def test_the_model_is_kept_while_its_training_rows_stay_then_retrained(tmp_path, churn_defs):
    _, defs = churn_defs
    path = tmp_path / "warehouse.duckdb"
    instance = dg.DagsterInstance.ephemeral()
    write_tables(path, synthetic_features(customers=300, cutoffs=3), customers=300)
    first = model_metadata(materialise(defs, path, instance))
    assert first["retrained"] is True
    # the same day again (cutoffs that stay put between retrains): the same rows keep it
    again = model_metadata(materialise(defs, path, instance))
    assert again["retrained"] is False and again["model_version"] == first["model_version"]
    assert "the same training rows" in again["kept_because"]
    assert again["training_rows_read"] is False  # known by their count and build times
    # built again with the same values: read, found the same, kept
    write_tables(path, synthetic_features(customers=300, cutoffs=3), customers=300)
    rebuilt = model_metadata(materialise(defs, path, instance))
    assert rebuilt["retrained"] is False and rebuilt["training_rows_read"] is True
    # ... and the next run knows them again by their new build times
    assert model_metadata(materialise(defs, path, instance))["training_rows_read"] is False
    # the history at the same cutoffs restated: a new model at once
    write_tables(path, synthetic_features(customers=300, cutoffs=3, seed=4), customers=300)
    restated = model_metadata(materialise(defs, path, instance))
    assert restated["retrained"] is True
    assert restated["model_version"] != first["model_version"]
    write_tables(path, synthetic_features(customers=300, cutoffs=3), customers=300)
    assert (
        model_metadata(materialise(defs, path, instance))["model_version"]
        == (first["model_version"])
    )

    def days_later(days: int, seed: int) -> pd.DataFrame:
        frame = synthetic_features(customers=300, cutoffs=3, seed=seed)
        return frame.assign(cutoff_date=frame["cutoff_date"] + timedelta(days=days))

    # the next day's build: every cutoff a day on, the rows a little different
    write_tables(path, days_later(1, seed=5), customers=300)
    kept = materialise(defs, path, instance)
    assert kept.success
    metadata = model_metadata(kept)
    assert metadata["retrained"] is False
    assert metadata["model_version"] == first["model_version"]
    assert "1 day(s) before" in metadata["kept_because"]
    assert scored_version(path) == [(first["model_version"],)]  # today's customers, same model
    # forced, or a week on: a new model
    forced = dg.materialize(
        [*defs.assets, *defs.asset_checks],
        resources={"warehouse": DuckDBResource(database=str(path))},
        instance=instance,
        run_config={"ops": {"gold__churn_model": {"config": {"force_retrain": True}}}},
    )
    forced_version = model_metadata(forced)["model_version"]
    assert model_metadata(forced)["retrained"] is True and forced_version != first["model_version"]
    write_tables(path, days_later(7, seed=6), customers=300)  # 6 days after the forced one
    assert model_metadata(materialise(defs, path, instance))["retrained"] is False
    write_tables(path, days_later(8, seed=6), customers=300)
    weekly = model_metadata(materialise(defs, path, instance))
    assert weekly["retrained"] is True
    assert weekly["model_version"] not in {first["model_version"], forced_version}
    assert scored_version(path) == [(weekly["model_version"],)]


def test_without_enough_history_nothing_fails_and_checks_warn(tmp_path, churn_defs):
    _, defs = churn_defs
    path = tmp_path / "warehouse.duckdb"
    write_tables(path, synthetic_features(customers=20, cutoffs=1).iloc[0:0], customers=20)
    result = materialise(defs, path, dg.DagsterInstance.ephemeral())
    assert result.success
    assert {MODEL_KEY, PREDICTIONS_KEY} <= materialised(result)
    checks = outcomes(result)
    for name in ("churn_model_auc", "churn_predictions_cover_current_customers"):
        assert not checks[name].passed and checks[name].severity == dg.AssetCheckSeverity.WARN
        assert "no training rows" in checks[name].description
    with connection(path, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM gold.churn_predictions").fetchone() == (0,)


def test_settings_validate_churn_knobs(monkeypatch):
    monkeypatch.setenv("SCV_CHURN_MIN_AUC", "0.8")
    assert load_settings().churn == dataclasses.replace(ChurnSettings(), min_auc=0.8)
    monkeypatch.setenv("SCV_CHURN_HIGH_RISK_PROBABILITY", "0.1")
    with pytest.raises(ValueError, match="risk bands"):
        load_settings()


def test_dbt_churn_defaults_equal_the_settings_defaults(monkeypatch):
    """dbt reads the same SCV_CHURN_* variables; without them both sides agree."""
    for name in ("SCV_CHURN_HORIZON_DAYS", "SCV_CHURN_TRAINING_CUTOFFS",
                 "SCV_CHURN_CUTOFF_SPACING_DAYS"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
    settings = load_settings()
    assert project["churn_horizon_days"] == settings.churn_horizon_days
    assert project["churn_training_cutoffs"] == settings.churn.training_cutoffs
    assert project["churn_cutoff_spacing_days"] == settings.churn.cutoff_spacing_days
