"""The churn scores against the simulator's ground truth: for benchmarks and tests only (the
platform itself never reads the truth).

Each scored customer gets the person most of their source identities belong to (truth
``identity_map``); figures: the model's own validation metrics (``metrics.json``), the true
segment mix of each risk band, how concentrated the ``Declining`` segment is in the high band
(its share there against its share overall, and the share of Declining people the high band
holds), and the ROC AUC of the score for "the person is Declining".

Run ``python -m scv_platform.ml.evaluation WAREHOUSE.duckdb TRUTH_DIR [ARTIFACTS_DIR]``.
"""

import json
import sys
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
from sklearn.metrics import roc_auc_score

from scv_platform.ml.artifacts import ArtifactStore
from scv_platform.ml.scoring import HIGH, RISK_BANDS
from scv_platform.settings import load_settings

DECLINING = "Declining"


def person_of_customer(crosswalk: pd.DataFrame, identity_map: pd.DataFrame) -> pd.DataFrame:
    """``scv_customer_id`` -> the person most of its identities belong to."""
    keys = ["source_system", "source_record_id"]
    joined = (
        crosswalk[[*keys, "scv_customer_id"]]
        .astype(str)
        .merge(identity_map[[*keys, "person_id"]].dropna().astype(str), on=keys)
    )
    counts = joined.groupby(["scv_customer_id", "person_id"]).size().rename("n").reset_index()
    counts = counts.sort_values(
        ["scv_customer_id", "n", "person_id"], ascending=[True, False, True]
    )
    return counts.drop_duplicates("scv_customer_id")[["scv_customer_id", "person_id"]]


def evaluate_predictions(
    predictions: pd.DataFrame, crosswalk: pd.DataFrame, truth_dir: Path
) -> dict[str, Any]:
    identity_map = pd.read_parquet(truth_dir / "identity_map.parquet")
    people = pd.read_parquet(truth_dir / "people.parquet")[["person_id", "segment"]]
    scored = predictions.merge(person_of_customer(crosswalk, identity_map), how="left").merge(
        people, on="person_id", how="left"
    )
    scored["segment"] = scored["segment"].fillna("(no person)")
    declining = scored["segment"] == DECLINING
    high = scored["risk_band"] == HIGH
    mix = pd.crosstab(scored["segment"], scored["risk_band"]).reindex(
        columns=list(RISK_BANDS), fill_value=0
    )
    return {
        "customers_scored": len(scored),
        "customers_by_band": {b: int((scored["risk_band"] == b).sum()) for b in RISK_BANDS},
        "declining_share_overall": round(float(declining.mean()), 4),
        "declining_share_in_high_band": round(float(declining[high].mean()), 4) if high.any()
        else None,
        "declining_people_in_high_band": round(float(high[declining].mean()), 4)
        if declining.any() else None,
        "roc_auc_score_vs_declining": round(
            float(roc_auc_score(declining, scored["churn_probability"])), 4
        ) if declining.any() and not declining.all() else None,
        "segment_by_band": {seg: row.to_dict() for seg, row in mix.iterrows()},
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) not in (2, 3):
        print(__doc__)
        return 2
    warehouse, truth_dir = Path(args[0]), Path(args[1])
    artifacts = Path(args[2]) if len(args) == 3 else load_settings().artifacts_dir
    with duckdb.connect(str(warehouse), read_only=True) as con:
        predictions = con.execute("SELECT * FROM gold.churn_predictions").df()
        crosswalk = con.execute("SELECT * FROM gold.customer_crosswalk").df()
    version = str(predictions["model_version"].iloc[0])
    metrics = ArtifactStore(artifacts).load_metrics(version)
    report = {
        "model_version": version,
        "selected_model": metrics["selected_model"],
        "validation": metrics["validation"],
        "training_window": metrics["training_window"],
        **evaluate_predictions(predictions, crosswalk, truth_dir),
    }
    print(json.dumps(report, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
