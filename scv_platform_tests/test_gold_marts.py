"""Gold dimensions, facts and marts against values computed by hand on a tiny landing zone.

The landing zone of test_dbt_staging (3 CRM contacts, 3 legacy customers, 2 shop accounts,
2 cards) plus a second and third day of transactions and orders, with a transaction on an
unknown card and an order of an unknown product by an unknown shop account. The crosswalk
is the one of test_golden_record (SCV-A..SCV-D). Then the real `dbt build` of everything.

By hand (as_of_date 2025-01-03):
- SCV-A: T1 12.50 (01-01) + T3 20.00 (01-02) card; O1 89.90 and O2 2 x 9.00 with no total
  (imputed 18.00), both ordered on 01-01 -> lifetime 140.40, last active 01-02.
- SCV-B: T2 declined; O3 9.00 (01-01); O5 cancelled (01-03) -> lifetime 9.00.
- SCV-C, SCV-D: no activity -> Inactive.
- T4 (card CA9) and O4 (shop S9, product P9) are kept and flagged, in no customer's value.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from scv_platform_tests.conftest import TRANSACTION_HEADER, write_csv
from scv_platform_tests.test_dbt_staging import ORDER_HEADER, build_bronze
from scv_platform_tests.test_golden_record import (
    CROSSWALK,
    build,
    load_bronze,
    query,
    write_crosswalk,
)

MORE_TRANSACTIONS = {
    "2025-01-02": [
        ("T3", "CA1", "2025-01-02T08:00:00", "20.00", "Corner Shop", "Grocery", "5411", "online",
         "approved", ""),
        ("T4", "CA9", "2025-01-02T09:00:00", "5.00", "Corner Shop", "Grocery", "5411", "online",
         "approved", ""),
    ],
}  # fmt: skip
MORE_ORDERS = {
    "2025-01-03": [
        ("O4", "2025-01-03T10:00:00", "S9", "who@z.com", "P9", "1", "5.00", "5.00", "placed"),
        ("O5", "2025-01-03T11:00:00", "S2", "bob@y.com", "P1", "1", "89.90", "89.90",
         "cancelled"),
    ],
}  # fmt: skip


def write_more_days(landing) -> None:
    for day, rows in MORE_TRANSACTIONS.items():
        write_csv(landing / f"cards/transactions/transactions_{day}.csv", TRANSACTION_HEADER, rows)
    for day, rows in MORE_ORDERS.items():
        write_csv(landing / f"shop/orders/orders_{day}.csv", ORDER_HEADER, rows)


def build_tiny_bronze(landing, warehouse) -> None:
    """The hand-made landing zone loaded into bronze, with the crosswalk written by hand."""
    build_bronze(landing, warehouse)
    write_more_days(landing)
    load_bronze(landing, warehouse)
    write_crosswalk(warehouse, CROSSWALK)


@pytest.fixture(scope="module")
def gold(tmp_path_factory):
    root = tmp_path_factory.mktemp("gold")
    warehouse = root / "warehouse.duckdb"
    build_tiny_bronze(root / "landing", warehouse)
    build(root, "gold")
    return warehouse


def dbt_test_results(target_dir) -> dict[str, tuple[str, int | None]]:
    """Status and failing-row count of every dbt data test of a build, by test name."""
    results = json.loads((target_dir / "run_results.json").read_text())["results"]
    return {
        r["unique_id"].split(".")[2]: (r["status"], r.get("failures"))
        for r in results
        if r["unique_id"].startswith("test.")
    }


def rows(warehouse, sql: str) -> list[tuple]:
    """Query rows with decimals as floats rounded to the cent (sums of money compare by value)."""
    return [
        tuple(round(float(v), 2) if isinstance(v, Decimal) else v for v in row)
        for row in query(warehouse, sql)
    ]


def one(warehouse, sql: str) -> tuple:
    rows_found = rows(warehouse, sql)
    assert len(rows_found) == 1, rows_found
    return rows_found[0]


def test_facts_keep_and_flag_rows_whose_keys_do_not_resolve(gold):
    transactions = query(
        gold,
        "select transaction_id, partition_date, scv_customer_id, is_card_known, key_issue "
        "from gold.fct_transactions order by 1",
    )
    assert transactions == [
        ("T1", date(2025, 1, 1), "SCV-A", True, None),
        ("T2", date(2025, 1, 1), "SCV-B", True, None),  # card held by legacy customer L002
        ("T3", date(2025, 1, 2), "SCV-A", True, None),
        ("T4", date(2025, 1, 2), None, False, "unknown_card_account"),
    ]
    orders = query(
        gold,
        "select order_id, partition_date, scv_customer_id, total_amount, total_amount_missing, "
        "is_product_known, is_customer_resolved, key_issue from gold.fct_orders order by 1",
    )
    assert orders == [
        # O1 was delivered again on 01-02: one row, in the day of its latest file
        ("O1", date(2025, 1, 2), "SCV-A", Decimal("89.90"), False, True, True, None),
        ("O2", date(2025, 1, 1), "SCV-A", None, True, True, True, None),  # raw value kept
        ("O3", date(2025, 1, 1), "SCV-B", Decimal("9.00"), False, True, True, None),
        ("O4", date(2025, 1, 3), None, Decimal("5.00"), False, False, False,
         "shop_customer_unresolved"),
        ("O5", date(2025, 1, 3), "SCV-B", Decimal("89.90"), False, True, True, None),
    ]  # fmt: skip


def test_unresolved_fact_keys_are_counted_by_warn_tests(gold):
    results = dbt_test_results(gold.parent / "target_gold")
    assert results["not_flagged_false_fct_transactions_is_card_known"] == ("warn", 1)
    assert results["not_flagged_false_fct_orders_is_customer_resolved"] == ("warn", 1)
    assert results["relationships_fct_orders_product_id__product_id__ref_dim_product_"] == (
        "warn",
        1,
    )
    failing = {name: r for name, r in results.items() if r[0] in {"fail", "error"}}
    assert failing == {}
    # the reconciliation tests ran and passed
    assert results["customer_360_profile_lifetime_value_reconciles"] == ("pass", 0)
    assert results["fct_orders_reconcile_with_staging"] == ("pass", 0)


def test_customer_360_profile_matches_hand_computed_values(gold):
    profile = {
        row[0]: row[1:]
        for row in rows(
            gold,
            "select scv_customer_id, as_of_date, lifetime_value, lifetime_card_spend, "
            "lifetime_order_value, lifetime_transactions, lifetime_orders, value_90d, "
            "declined_transactions_90d, recency_days, card_accounts, behaviour_segment "
            "from gold.customer_360_profile",
        )
    }
    assert sorted(profile) == ["SCV-A", "SCV-B", "SCV-C", "SCV-D"]
    as_of = date(2025, 1, 3)
    assert profile["SCV-A"] == (as_of, 140.40, 32.50, 107.90, 2, 2, 140.40, 0, 1, 1, "New")
    assert profile["SCV-B"] == (as_of, 9.00, 0.0, 9.00, 0, 1, 9.00, 1, 2, 1, "New")
    assert profile["SCV-C"][1:] == (0, 0, 0, 0, 0, 0, 0, None, 0, "Inactive")
    assert profile["SCV-D"][-1] == "Inactive"


def test_customer_segments_and_ltv(gold):
    segments = rows(
        gold,
        "select behaviour_segment, customers, customer_share, value_90d, orders_90d, "
        "declined_transactions_90d from gold.customer_segments order by 1",
    )
    assert segments == [("Inactive", 2, 0.5, 0, 0, 0), ("New", 2, 0.5, 149.40, 3, 1)]
    ltv = rows(
        gold,
        "select scv_customer_id, lifetime_value, active_months, avg_value_per_active_month, "
        "ltv_decile from gold.metric_customer_ltv order by ltv_decile",
    )
    assert ltv[:2] == [("SCV-A", 140.40, 1, 140.40, 1), ("SCV-B", 9.00, 1, 9.00, 2)]


def test_month_over_month_and_average_transaction_value(gold):
    assert rows(
        gold,
        "select scv_customer_id, month_start_date, card_spend, order_value, total_value, "
        "previous_month_value from gold.metric_mom_spend_change order by 1",
    ) == [
        ("SCV-A", date(2025, 1, 1), 32.50, 107.90, 140.40, None),
        ("SCV-B", date(2025, 1, 1), 0, 9.00, 9.00, None),
    ]
    assert rows(
        gold,
        "select merchant_category, channel, approved_transactions, declined_transactions, "
        "approved_amount, avg_transaction_value, decline_rate, customers "
        "from gold.metric_avg_transaction_value order by 1, 2",
    ) == [
        ("Books", "online", 0, 1, 0, None, 1.0, 1),
        ("Grocery", "in_store", 1, 0, 12.50, 12.50, 0.0, 1),
        ("Grocery", "online", 2, 0, 25.00, 12.50, 0.0, 1),  # T4 counts, without a customer
    ]


def test_weather_marts(gold):
    assert one(
        gold,
        "select current_customers, customers_with_postal_code, customers_with_weather, "
        "weather_coverage_share, meets_coverage_goal from gold.weather_customer_coverage "
        "where weather_date = '2025-01-01'",
    ) == (4, 3, 2, 0.5, False)
    regions = rows(
        gold,
        "select state_code, customers, customers_with_weather, avg_temperature_f, "
        "temperature_band, precipitation_band, card_spend, orders, order_value "
        "from gold.weather_region_daily where region_date = '2025-01-01' order by 1",
    )
    assert regions == [
        ("MA", 1, 1, 28.0, "below 32F", "moderate", 12.50, 2, 107.90),
        ("NY", 1, 1, 30.0, "below 32F", "dry", 0, 1, 9.00),  # SCV-D has no complete address
    ]


def test_dim_date_and_dimensions(gold):
    assert one(
        gold,
        "select day_name, iso_week_number, is_us_holiday, us_holiday_name, is_business_day "
        "from gold.dim_date where date_day = '2025-11-27'",
    ) == ("Thursday", 48, True, "Thanksgiving Day", False)
    first, last = one(gold, "select min(date_day), max(date_day) from gold.dim_date")
    assert first <= date(2025, 1, 1) and last >= date.today().replace(year=date.today().year + 1)
    assert rows(
        gold,
        "select card_account_id, scv_customer_id, holder_resolved_by "
        "from gold.dim_card_account order by 1",
    ) == [("CA1", "SCV-A", "d365_contact"), ("CA2", "SCV-B", "legacy_customer")]
    assert rows(
        gold, "select merchant_category, primary_mcc from gold.dim_merchant_category order by 1"
    ) == [
        ("Books", "0742"),
        ("Grocery", "5411"),
    ]
