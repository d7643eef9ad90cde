"""Pairwise precision / recall / F1 of a crosswalk against the simulator's ground truth.

A pair is two source identities. Predicted pairs: same ``scv_customer_id``. True pairs: same
``person_id`` in the truth's ``identity_map`` (identities whose person is unknown, e.g. guest
shop accounts, have no true pair: clustered with anyone they are false positives). Only
identities present in both frames are evaluated. Used by tests and benchmarks only: the
platform itself never reads the truth.

Run ``python -m scv_platform.identity.evaluation CROSSWALK.parquet|WAREHOUSE.duckdb
IDENTITY_MAP.parquet`` to print the figures.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd


def _pairs_per_group(sizes: pd.Series) -> int:
    return int((sizes * (sizes - 1) // 2).sum())


def evaluate_crosswalk(crosswalk_df: pd.DataFrame, identity_map_df: pd.DataFrame) -> dict:
    """Pairwise precision, recall and F1 (plus the pair counts behind them)."""
    keys = ["source_system", "source_record_id"]
    cw = crosswalk_df[[*keys, "scv_customer_id"]].astype({k: str for k in keys})
    truth = identity_map_df[[*keys, "person_id"]].astype({k: str for k in keys})
    joined = cw.merge(truth, on=keys, how="inner")
    predicted = _pairs_per_group(joined.groupby("scv_customer_id").size())
    known = joined.dropna(subset=["person_id"])
    actual = _pairs_per_group(known.groupby("person_id").size())
    true_positive = _pairs_per_group(known.groupby(["scv_customer_id", "person_id"]).size())
    precision = true_positive / predicted if predicted else 1.0
    recall = true_positive / actual if actual else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "identities_evaluated": len(joined),
        "identities_not_in_truth": len(cw) - len(joined),
        "predicted_pairs": predicted,
        "true_pairs": actual,
        "true_positive_pairs": true_positive,
        "false_positive_pairs": predicted - true_positive,
        "false_negative_pairs": actual - true_positive,
        "precision": round(precision, 5),
        "recall": round(recall, 5),
        "f1": round(f1, 5),
    }


def _read_crosswalk(path: Path) -> pd.DataFrame:
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    import duckdb

    from scv_platform.identity.tables import CROSSWALK

    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(
            f"SELECT source_system, source_record_id, scv_customer_id FROM {CROSSWALK.sql}"
        ).df()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print(__doc__)
        return 2
    result = evaluate_crosswalk(_read_crosswalk(Path(args[0])), pd.read_parquet(args[1]))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
