"""Recall and precision of the row-level checks against the simulator's injected anomalies.

    python -m scv_platform.quality.evaluation WAREHOUSE TRUTH_DIR [--per-day]

Reads the warehouse read-only and the simulator's ``anomalies.parquet`` (evaluation only:
the platform never reads the truth). Each anomaly kind is matched to the check (and issue)
meant to find it; a flagged row is a true positive when the truth gives it that kind. By
default the rules judge all history at once (as ``scv run`` does); ``--per-day`` judges each
day on its own with its trailing reference window, as the daily schedule does.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd

from scv_platform.quality.checks import ROW_CHECKS
from scv_platform.quality.window import ALL_HISTORY, CheckWindow
from scv_platform.settings import QualitySettings, load_quality_settings
from scv_platform.warehouse.duckdb_connection import connection

# anomaly kind -> (check, issues of that check that find it; None = every issue)
KIND_CHECKS: dict[str, tuple[str, frozenset[str] | None]] = {
    "quantity_outlier": ("orders_quantity_iqr", None),
    "total_mismatch": ("orders_total_consistency", frozenset({"total_mismatch"})),
    "empty_total": ("orders_total_consistency", frozenset({"total_missing"})),
    "unknown_product": ("fk_orders_product", None),
    # an account whose e-mail fits several customers is a known person identity could not
    # place, not an unknown shopper
    "unknown_shopper": (
        "fk_orders_customer",
        frozenset({"shop_customer_missing", "customer_unresolved", "shop_account_not_linked"}),
    ),
    "transaction_amount_outlier": ("transactions_amount_zscore", None),
}


@dataclass(frozen=True)
class KindScore:
    kind: str
    check: str
    injected: int
    flagged: int
    found: int

    @property
    def recall(self) -> float:
        return self.found / self.injected if self.injected else 1.0

    @property
    def precision(self) -> float:
        return self.found / self.flagged if self.flagged else 1.0


def flag_all(
    con: duckdb.DuckDBPyConnection, settings: QualitySettings, per_day: bool
) -> dict[str, pd.DataFrame]:
    """Every row-level check's flagged rows over all history (or day by day)."""
    windows = [ALL_HISTORY]
    if per_day:
        first, last = con.execute(
            "SELECT min(partition_date), max(partition_date) FROM gold.fct_orders"
        ).fetchone()
        windows = [
            CheckWindow(first + timedelta(days=i), first + timedelta(days=i + 1))
            for i in range((last - first).days + 1)
        ]
    flagged = {}
    for check in ROW_CHECKS:
        frames = [check.rule(con, w, settings).flagged for w in windows]
        found = [f for f in frames if not f.empty]
        flagged[check.name] = pd.concat(found, ignore_index=True) if found else frames[0]
    return flagged


def score(flagged: dict[str, pd.DataFrame], truth: pd.DataFrame) -> list[KindScore]:
    scores = []
    for kind, (check, issues) in KIND_CHECKS.items():
        rows = flagged[check]
        if issues is not None:
            rows = rows[rows["issue"].isin(issues)]
        found_ids = set(rows["record_id"].astype(str))
        injected = set(truth.loc[truth["kind"] == kind, "record_id"].astype(str))
        scores.append(
            KindScore(kind, check, len(injected), len(found_ids), len(found_ids & injected))
        )
    return scores


def evaluate_warehouse(
    warehouse: Path, anomalies: Path, until: date | None = None, per_day: bool = False
) -> list[KindScore]:
    """Score every anomaly kind of ``anomalies.parquet`` (those up to ``until`` when given:
    days not yet loaded hold no findable anomaly) against the warehouse's checks."""
    truth = pd.read_parquet(anomalies)
    if until is not None:
        truth = truth[pd.to_datetime(truth["event_date"]).dt.date <= until]
    return score(_flagged(warehouse, per_day), truth)


def _flagged(warehouse: Path, per_day: bool) -> dict[str, pd.DataFrame]:
    with connection(warehouse, read_only=True) as con:
        con.execute("SET enable_progress_bar = false")
        return flag_all(con, load_quality_settings(), per_day)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("warehouse", type=Path)
    parser.add_argument("truth_dir", type=Path)
    parser.add_argument("--per-day", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the scores here")
    args = parser.parse_args(argv)
    truth = pd.read_parquet(args.truth_dir / "anomalies.parquet")
    flagged = _flagged(args.warehouse, args.per_day)
    scores = score(flagged, truth)
    print(f"{'kind':28} {'check':30} {'injected':>8} {'flagged':>8} {'found':>6} recall precision")
    for s in scores:
        print(
            f"{s.kind:28} {s.check:30} {s.injected:8,} {s.flagged:8,} {s.found:6,} "
            f"{s.recall:6.3f} {s.precision:9.3f}"
        )
    anomalous = set(truth["record_id"].astype(str))
    amount = flagged["orders_amount_zscore"]
    hits = amount["record_id"].astype(str).isin(anomalous).sum()
    print(
        f"orders_amount_zscore (no kind of its own): {len(amount):,} flagged, "
        f"{hits:,} of them injected anomalies of any kind"
    )
    if args.json:
        args.json.write_text(json.dumps([asdict(s) for s in scores], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
