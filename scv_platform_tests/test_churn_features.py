"""Churn features and labels (dbt) on a tiny hand-made history, loaded by the real loader and
built by the real `dbt build` on DuckDB. Horizon 30 days, two training cutoffs 30 days apart.

The data end on 2025-05-01, so the training cutoffs are 2025-04-01 (validation) and
2025-03-02; the scoring cutoff is 2025-05-01.

| customer | activity |
|---|---|
| A | card only: approved 01-10, 03-15, 04-20 |
| B | order 02-01, approved 02-15, then nothing |
| C | shop orders only: 03-20, 04-01 (on the cutoff), cancelled order 05-01 |
| D | approved 03-01, then only declined transactions (03-20, 04-10) |
| E | joined 04-15 (CRM and card), approved 04-20 |
"""

from pathlib import Path

import pandas as pd
import pytest

from scv_platform.sources.promotion import ensure_bronze_tables
from scv_platform.warehouse.duckdb_connection import connection
from scv_platform_tests.conftest import TRANSACTION_HEADER, write_csv
from scv_platform_tests.test_dbt_staging import (
    CARD_HEADER,
    CONTACT_HEADER,
    ORDER_HEADER,
    contact,
    run_dbt,
)
from scv_platform_tests.test_golden_record import load_bronze, query, write_crosswalk

CA, CB, CD, CE = (f"0c0c1f6e-0000-4000-8000-00000000000{n}" for n in (1, 2, 4, 5))
CROSSWALK = [
    ("d365", CA, "SCV-A", "singleton"),
    ("d365", CB, "SCV-B", "email"),
    ("shop", "S-B", "SCV-B", "email"),
    ("shop", "S-C", "SCV-C", "singleton"),
    ("d365", CD, "SCV-D", "singleton"),
    ("d365", CE, "SCV-E", "singleton"),
]
CONTACTS = [
    contact(CA, "Ann", "Able", "ann@a.com", "", "", "MA", "02134", "2025-01-01T00:00:00",
            birthdate="1980-06-01"),
    contact(CB, "Bob", "Baker", "bob@b.com", "", "", "MA", "02134", "2025-01-01T00:00:00"),
    contact(CD, "Dan", "Dale", "dan@d.com", "", "", "MA", "02134", "2025-01-01T00:00:00"),
    contact(CE, "Eve", "Ede", "eve@e.com", "", "", "MA", "02134", "2025-04-15T00:00:00",
            createdon="2025-04-15T09:00:00"),
]  # fmt: skip
CARDS = [
    ("CA-A", CA, "", "Gold", "5000", "2024-01-01", "0", "2025-01-01T00:00:00"),
    ("CA-B", CB, "", "Classic", "2000", "2024-01-01", "0", "2025-01-01T00:00:00"),
    ("CA-D", CD, "", "Platinum", "20000", "2024-01-01", "0", "2025-01-01T00:00:00"),
    ("CA-E", CE, "", "Classic", "1000", "2025-04-15", "0", "2025-04-15T00:00:00"),
]


def tx(tid: str, card: str, day: str, amount: str, category: str, status: str = "approved"):
    return [tid, card, f"{day}T12:00:00", amount, "Shop", category, "5411", "in_store", status,
            "" if status == "approved" else "do_not_honor"]  # fmt: skip


def order(oid: str, shopper: str, day: str, total: str, status: str = "delivered"):
    return [oid, f"{day}T12:00:00", shopper, "", "P1", "1", total, total, status]


TRANSACTIONS = [
    tx("T1", "CA-A", "2025-01-10", "100.00", "grocery"),
    tx("T2", "CA-A", "2025-03-15", "50.00", "travel"),
    tx("T3", "CA-A", "2025-04-20", "20.00", "grocery"),
    tx("T4", "CA-B", "2025-02-15", "60.00", "grocery"),
    tx("T5", "CA-D", "2025-03-01", "80.00", "fuel"),
    tx("T6", "CA-D", "2025-03-20", "30.00", "fuel", "declined"),
    tx("T7", "CA-D", "2025-04-10", "30.00", "fuel", "declined"),
    tx("T8", "CA-E", "2025-04-20", "30.00", "grocery"),
]
ORDERS = [
    order("O1", "S-B", "2025-02-01", "40.00"),
    order("O2", "S-C", "2025-03-20", "30.00"),
    order("O3", "S-C", "2025-04-01", "25.00", "placed"),
    order("O4", "S-C", "2025-05-01", "10.00", "cancelled"),
]
# delivered later, between the validation cutoff and the last day (the cutoffs stay put)
LATE_TRANSACTIONS = [
    tx("T9", "CA-A", "2025-04-02", "999.00", "travel"),
    tx("T10", "CA-B", "2025-04-25", "500.00", "electronics"),
]
LATE_ORDERS = [order("O5", "S-D", "2025-04-25", "75.00")]
# delivered later still, between the two training cutoffs: the validation cutoff is rebuilt
RESTATED_TRANSACTIONS = [tx("T11", "CA-A", "2025-03-10", "40.00", "fuel")]
CHURN_ENV = {
    "SCV_CHURN_HORIZON_DAYS": "30",
    "SCV_CHURN_TRAINING_CUTOFFS": "2",
    "SCV_CHURN_CUTOFF_SPACING_DAYS": "30",
    "SCV_CHURN_RETRAIN_DAYS": "1",  # the cutoffs move daily: none is moved back to an anchor
}
VALIDATION, EARLY, SCORING = "2025-04-01", "2025-03-02", "2025-05-01"
CUTOFFS_SQL = (
    "select cutoff_date::varchar, cutoff_role, label_window_end::varchar "
    "from gold.churn_cutoffs order by 1"
)
LABELS_SQL = (
    "select cutoff_date::varchar, scv_customer_id, churned, horizon_orders "
    "from gold.churn_labels order by 1, 2"
)
ALL_LABELS_SQL = "select * exclude (_built_at) from gold.churn_labels order by all"
LEAKY_SQL = """
    -- deliberately leaky: approved transactions up to 30 days AFTER the cutoff
    select c.cutoff_date, t.scv_customer_id, count(*) as leaky_transactions
    from gold.churn_cutoffs as c
    join gold.fct_transactions as t
        on t.transaction_date <= c.cutoff_date + interval 30 day and t.is_approved
    group by all
"""


def write_by_day(folder: Path, prefix: str, header, rows, day_of) -> None:
    """One daily landing file per day (the late rows fall on days without a file yet)."""
    for day in sorted({day_of(r) for r in rows}):
        path = folder / f"{prefix}_{day}.csv"
        assert not path.exists()
        write_csv(path, header, [r for r in rows if day_of(r) == day])


def write_landing(landing: Path, transactions, orders) -> None:
    write_csv(landing / "d365/contact/contact_20250501T000000.csv", CONTACT_HEADER, CONTACTS)
    write_csv(
        landing / "d365/scv_cardaccount/scv_cardaccount_20250501T000000.csv", CARD_HEADER, CARDS
    )
    write_csv(
        landing / "shop/products/products_20250101T000000.csv",
        ("product_id", "product_name", "category", "brand", "list_price"),
        [("P1", "Mug", "Home", "Acme", "10")],
    )
    write_by_day(landing / "cards/transactions", "transactions", TRANSACTION_HEADER,
                 transactions, lambda r: r[2][:10])  # fmt: skip
    write_by_day(landing / "shop/orders", "orders", ORDER_HEADER, orders, lambda r: r[1][:10])


def load(landing: Path, warehouse: Path) -> None:
    """Load the landing zone; sources without files still get their (empty) bronze table."""
    load_bronze(landing, warehouse)
    with connection(warehouse) as con:
        ensure_bronze_tables(con)


INCREMENTAL_BUILD = [
    "stg_shop__orders", "int_identity__crosswalk", "fct_transactions", "fct_orders",
    "int_activity__customer_day", "int_activity__customer_month", "int_activity__as_of_date",
    "churn_cutoffs", "churn_features", "churn_labels",
]  # fmt: skip


def build(root: Path, run: str, select: list[str], *options: str) -> None:
    args = ["build", *options, "--indirect-selection", "buildable", "--select", *select]
    result = run_dbt(args, root / "warehouse.duckdb", root / run)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]


def frames(warehouse: Path) -> dict[str, pd.DataFrame]:
    return {
        "features": pd.DataFrame(
            query(warehouse, "select * from gold.churn_features order by 1, 3"),
            columns=[r[0] for r in query(warehouse, "describe gold.churn_features")],
        ),
        "labels": pd.DataFrame(
            query(warehouse, LABELS_SQL),
            columns=["cutoff_date", "scv_customer_id", "churned", "horizon_orders"],
        ),
        "leaky": pd.DataFrame(
            query(warehouse, LEAKY_SQL + " order by 1, 2"),
            columns=["cutoff_date", "scv_customer_id", "leaky_transactions"],
        ),
    }


def changed_rows(before: pd.DataFrame, after: pd.DataFrame, cutoffs: list[str]) -> pd.DataFrame:
    """Rows at the given cutoffs that differ between two builds (a leak shows up here)."""
    keys = ["cutoff_date", "scv_customer_id"]
    before, after = (f.drop(columns="_built_at", errors="ignore") for f in (before, after))
    b = before[before["cutoff_date"].astype(str).isin(cutoffs)].set_index(keys).sort_index()
    a = after[after["cutoff_date"].astype(str).isin(cutoffs)].set_index(keys).sort_index()
    a = a.reindex(b.index.union(a.index))
    b = b.reindex(a.index)
    differs = ~((a == b) | (a.isna() & b.isna())).all(axis=1)
    return a[differs]


def without_build_time(features: pd.DataFrame) -> pd.DataFrame:
    return features.drop(columns="_built_at").reset_index(drop=True)


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """The churn models before and after late rows arrive for days after the cutoffs (an
    incremental build, then a full refresh), after a late row before the validation cutoff
    (incremental), and the cutoffs with a weekly retraining cadence."""
    root = tmp_path_factory.mktemp("churn_features")
    warehouse = root / "warehouse.duckdb"
    with pytest.MonkeyPatch.context() as env:
        for name, value in CHURN_ENV.items():
            env.setenv(name, value)
        write_landing(root / "landing", TRANSACTIONS, ORDERS)
        load(root / "landing", warehouse)
        write_crosswalk(warehouse, [(*row,) for row in CROSSWALK])
        build(root, "first", ["+churn_labels", "+churn_features"])
        before = frames(warehouse)
        write_landing(root / "landing", LATE_TRANSACTIONS, LATE_ORDERS)
        load(root / "landing", warehouse)
        write_crosswalk(warehouse, [*CROSSWALK, ("shop", "S-D", "SCV-D", "email")])
        build(root, "second", INCREMENTAL_BUILD)
        incremental = frames(warehouse)
        build(root, "refresh", ["churn_features", "churn_labels"], "--full-refresh")
        after = frames(warehouse)
        assert without_build_time(incremental["features"]).equals(
            without_build_time(after["features"])
        )
        # labels are incremental by cutoff too: the late rows fall in their windows
        assert incremental["labels"].equals(after["labels"])
        assert not incremental["labels"].equals(before["labels"])
        write_landing(root / "landing", RESTATED_TRANSACTIONS, [])
        load(root / "landing", warehouse)
        day = '{"min_date": "2025-03-10", "max_date": "2025-03-11"}'  # that day's partition
        build(root, "restated", INCREMENTAL_BUILD, "--vars", day)
        restated = frames(warehouse)["features"]
        # the late row falls in the early cutoff's label window, not in its features
        restated_labels = query(warehouse, ALL_LABELS_SQL)
        build(root, "restated-refresh", ["churn_labels"], "--full-refresh")
        assert restated_labels == query(warehouse, ALL_LABELS_SQL)
        env.setenv("SCV_CHURN_RETRAIN_DAYS", "7")
        build(root, "weekly", ["churn_cutoffs"])
        weekly = query(warehouse, CUTOFFS_SQL)
        return before, after, warehouse, incremental, restated, weekly


def feature(features: pd.DataFrame, cutoff: str, customer: str) -> pd.Series:
    row = features[
        (features["cutoff_date"].astype(str) == cutoff) & (features["scv_customer_id"] == customer)
    ]
    assert len(row) == 1, f"{customer} at {cutoff}: {len(row)} rows"
    return row.iloc[0]


def test_cutoffs_follow_the_horizon_and_the_population_is_known_by_the_cutoff(builds):
    before, after = builds[:2]
    cutoffs = sorted(
        after["features"][["cutoff_date", "cutoff_role"]]
        .drop_duplicates()
        .astype(str)
        .itertuples(index=False, name=None)
    )
    assert cutoffs == [(EARLY, "training"), (VALIDATION, "training"), (SCORING, "scoring")]
    assert builds[5] == [
        # weekly: 2025-04-01 (the last day minus the horizon) moves back to the Monday before,
        # 2025-03-31, a whole number of weeks after 2000-01-03; the cutoffs stay there all week
        ("2025-03-01", "training", "2025-03-31"),
        ("2025-03-31", "training", "2025-04-30"),
        (SCORING, "scoring", None),
    ]
    features = before["features"]
    by_cutoff = features.groupby(features["cutoff_date"].astype(str))["scv_customer_id"]
    assert sorted(by_cutoff.get_group(EARLY)) == ["SCV-A", "SCV-B", "SCV-D"]
    assert sorted(by_cutoff.get_group(VALIDATION)) == ["SCV-A", "SCV-B", "SCV-C", "SCV-D"]
    assert sorted(by_cutoff.get_group(SCORING)) == [f"SCV-{c}" for c in "ABCDE"]


def test_label_is_no_order_and_no_approved_transaction_in_the_horizon(builds):
    before, after = builds[:2]
    labels = {(r.cutoff_date, r.scv_customer_id): r.churned for r in before["labels"].itertuples()}
    assert labels == {
        (EARLY, "SCV-A"): 0,  # approved 03-15
        (EARLY, "SCV-B"): 1,  # nothing after 02-15
        (EARLY, "SCV-D"): 1,  # only a declined transaction
        (VALIDATION, "SCV-A"): 0,  # approved 04-20
        (VALIDATION, "SCV-B"): 1,
        (VALIDATION, "SCV-C"): 0,  # a cancelled order on the last day of the horizon counts
        (VALIDATION, "SCV-D"): 1,  # declined 04-10 does not count
    }
    late = {(r.cutoff_date, r.scv_customer_id): r.churned for r in after["labels"].itertuples()}
    assert late[(VALIDATION, "SCV-B")] == 0 and late[(VALIDATION, "SCV-D")] == 0
    assert late[(EARLY, "SCV-B")] == 1  # 04-25 is outside the early cutoff's horizon


def test_customers_with_one_kind_of_activity(builds):
    features = builds[0]["features"]
    card_only = feature(features, VALIDATION, "SCV-A")
    assert card_only["recency_days"] == 17 and card_only["recency_card_days"] == 17
    assert pd.isna(card_only["recency_order_days"])
    assert card_only["frequency_90d"] == 2 and card_only["value_90d"] == 150
    assert card_only["value_30d"] == 50 and card_only["merchant_categories_90d"] == 2
    assert card_only["orders_90d"] == 0 and card_only["order_value_90d"] == 0
    assert card_only["card_type"] == "Gold" and card_only["credit_limit"] == 5000
    assert card_only["credit_utilisation_30d"] == pytest.approx(50 / 5000)
    assert card_only["has_card_activity"] and not card_only["has_order_activity"]
    assert card_only["age_band"] == "35-44"
    orders_only = feature(features, VALIDATION, "SCV-C")
    assert orders_only["recency_order_days"] == 0  # the order on the cutoff day counts
    assert pd.isna(orders_only["recency_card_days"]) and pd.isna(orders_only["credit_limit"])
    assert orders_only["orders_90d"] == 2 and orders_only["value_90d"] == 55
    assert orders_only["product_categories_90d"] == 1
    assert orders_only["merchant_categories_90d"] == 0 and orders_only["card_accounts"] == 0
    assert orders_only["card_type"] == "none" and orders_only["age_band"] == "unknown"
    assert not orders_only["has_card_account"] and not orders_only["has_card_activity"]
    assert orders_only["has_order_activity"] and orders_only["tenure_days"] == 12
    declines = feature(features, VALIDATION, "SCV-D")
    assert declines["declined_share_90d"] == pytest.approx(0.5)
    assert feature(features, SCORING, "SCV-E")["tenure_days"] == 16


def test_rows_after_the_cutoff_leave_its_features_unchanged(builds):
    before, after = builds[:2]  # after: a full refresh
    training = [EARLY, VALIDATION]
    assert changed_rows(before["features"], after["features"], training).empty
    # the comparison catches a feature that looks past the cutoff
    leaked = changed_rows(before["leaky"], after["leaky"], training)
    assert set(leaked.index.get_level_values("scv_customer_id")) == {"SCV-A", "SCV-B"}
    # while the scoring cutoff, after the late rows, sees them
    assert not changed_rows(before["features"], after["features"], [SCORING]).empty


def test_an_incremental_build_redoes_only_the_cutoffs_whose_history_changed(builds):
    first, restated = builds[1]["features"], builds[4]  # a full refresh, then the late row
    built = restated.groupby(restated["cutoff_date"].astype(str))["_built_at"].max()
    before = first.groupby(first["cutoff_date"].astype(str))["_built_at"].max()
    # the late row of 03-10 is before the validation cutoff, after the early one
    assert built[EARLY] == before[EARLY]
    assert built[VALIDATION] > before[VALIDATION] and built[SCORING] > before[SCORING]
    assert feature(first, VALIDATION, "SCV-A")["frequency_90d"] == 2
    restated_a = feature(restated, VALIDATION, "SCV-A")
    assert restated_a["frequency_90d"] == 3 and restated_a["merchant_categories_90d"] == 3
    assert feature(restated, EARLY, "SCV-A").equals(feature(first, EARLY, "SCV-A"))
