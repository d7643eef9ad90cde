"""Data-quality rules on tiny hand-made facts in a real DuckDB file: known bad rows are
flagged (and only they), thresholds decide PASS / WARN / ERROR, the quarantine is idempotent
and a release sticks until the file is re-delivered."""

from __future__ import annotations

import json
from datetime import date, datetime

import dagster as dg
import pandas as pd
import pytest
from dagster_duckdb import DuckDBResource

from scv_platform.quality import customer_rules, fact_rules, source_rules
from scv_platform.quality.checks import (
    ROW_CHECKS,
    AggregateCheck,
    build_aggregate_check,
    evaluate_row_check,
)
from scv_platform.quality.facts import ORDERS
from scv_platform.quality.outcome import Outcome
from scv_platform.quality.quarantine import release_rows, sync_quarantine
from scv_platform.quality.severity import Thresholds, Verdict, judge, judge_rows
from scv_platform.quality.window import ALL_HISTORY, CheckWindow
from scv_platform.settings import QualitySettings, SettingsError, load_quality_settings
from scv_platform.sources.specs import ORDERS as ORDER_SPEC
from scv_platform.sources.specs import PRODUCTS as PRODUCT_SPEC
from scv_platform.warehouse.duckdb_connection import connection
from scv_platform.warehouse.operational_tables import ensure_operational_tables

DAY = date(2025, 3, 3)  # a Monday
WINDOW = CheckWindow(DAY, date(2025, 3, 4))
SETTINGS = QualitySettings()
NOW = datetime(2025, 3, 4, 6, 0)
ERROR, WARN = dg.AssetCheckSeverity.ERROR, dg.AssetCheckSeverity.WARN


def order(n: int, quantity=1, unit_price=10.0, total="auto", product="P1", day=DAY, **extra):
    total = round(quantity * unit_price, 2) if total == "auto" else total
    return {
        "order_id": f"O{n}", "partition_date": day, "order_date": day, "product_id": product,
        "quantity": quantity, "unit_price": unit_price, "total_amount": total,
        "shop_customer_id": "S1", "scv_customer_id": "SCV-A", "_source_file":
        f"shop/orders/orders_{day}.csv", "_source_row": n + 1, "_batch_id": "b1", **extra,
    }  # fmt: skip


def transaction(n: int, amount: float, card="CA1", category="Grocery", day=DAY):
    return {
        "transaction_id": f"T{n}", "partition_date": day, "card_account_id": card,
        "merchant_category": category, "amount": amount, "scv_customer_id": "SCV-A",
        "_source_file": f"cards/transactions/transactions_{day}.csv", "_source_row": n + 1,
        "_batch_id": "b1",
    }  # fmt: skip


def table(con, name: str, rows: list[dict]) -> None:
    frame = pd.DataFrame(rows)
    con.execute("CREATE SCHEMA IF NOT EXISTS " + name.split(".")[0])
    con.register("__rows", frame)
    con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM __rows")
    con.unregister("__rows")


@pytest.fixture
def dims(con):
    table(con, "gold.dim_product", [{"product_id": "P1", "category": "Home"},
                                    {"product_id": "P2", "category": "Toys"}])  # fmt: skip
    customers = [
        {"scv_customer_id": "SCV-A", "is_current": True, "d365_contacts": 1, "legacy_customers": 0,
         "email": "ann@x.com", "phone": "+16175550100", "postal_code": "02134", "city": "Boston",
         "state_code": "MA", "source_systems": "d365,shop"},
        {"scv_customer_id": "SCV-S", "is_current": True, "d365_contacts": 0, "legacy_customers": 0,
         "email": " ANN@x.com", "phone": None, "postal_code": None, "city": None,
         "state_code": None, "source_systems": "shop"},
        {"scv_customer_id": "SCV-OLD", "is_current": False, "d365_contacts": 1,
         "legacy_customers": 0, "email": "old@x.com", "phone": "+16175550100",
         "postal_code": "1234", "city": None, "state_code": None, "source_systems": "d365"},
    ]  # fmt: skip
    table(con, "gold.dim_customer", customers)
    cards = [{"card_account_id": "CA1", "scv_customer_id": "SCV-A"},
             {"card_account_id": "CA2", "scv_customer_id": None}]  # fmt: skip
    table(con, "gold.dim_card_account", cards)
    ambiguous = [
        {"source_system": "shop", "source_record_id": "S7", "candidate_customers": 2},
        {"source_system": "legacy", "source_record_id": "S1", "candidate_customers": 3},
    ]
    table(con, "silver.identity_ambiguous_accounts", ambiguous)
    return con


def ids(result) -> set[str]:
    return set(result.flagged["record_id"])


def test_quantity_iqr_flags_outside_the_fences_of_the_category(dims):
    quantities = [1, 1, 1, 2, 2, 3] * 5  # Q1 1, Q3 2: fences -2 .. 5 with k = 3
    rows = [order(i, q) for i, q in enumerate(quantities)]
    rows += [order(90, 5), order(91, 6), order(92, 400)]
    rows += [order(93, 1, product="P2"), order(94, 300, product="P2")]  # small group: overall
    table(dims, "gold.fct_orders", rows)
    result = fact_rules.quantity_iqr(dims, WINDOW, SETTINGS)
    assert ids(result) == {"O91", "O92", "O94"}
    assert result.checked == 35
    flagged = result.flagged.set_index("record_id")
    assert flagged.loc["O92", "upper_fence"] == 5 and flagged.loc["O92", "holds_row"]
    assert "quantity 400 outside -2 .. 5 (Home: Q1 1, Q3 2)" in flagged.loc["O92", "detail"]
    wider = fact_rules.quantity_iqr(dims, WINDOW, QualitySettings(iqr_multiplier=10))
    assert ids(wider) == {"O92", "O94"}  # fence 12: quantity 6 passes


def test_quantity_statistics_come_from_the_reference_window_so_outliers_cannot_hide(dims):
    history = [order(i, q, day=date(2025, 2, 1 + i % 28)) for i, q in enumerate([1, 2] * 20)]
    burst = [order(100 + i, 50) for i in range(12)]  # a day of huge quantities
    table(dims, "gold.fct_orders", history + burst)
    assert len(fact_rules.quantity_iqr(dims, WINDOW, SETTINGS).flagged) == 12
    blind = QualitySettings(reference_days=0)  # only the day itself: the burst is "normal"
    assert fact_rules.quantity_iqr(dims, WINDOW, blind).flagged.empty


def test_order_amount_zscore_compares_the_amount_per_unit_within_a_product(dims):
    rows = [order(i, 1 + i % 3) for i in range(24)]  # 10.00 a unit, any quantity
    rows += [order(30, 1, 8.0), order(31, 2, 10.0, total=200.0), order(32, 1, 10.0, total=4.0)]
    table(dims, "gold.fct_orders", rows)
    result = fact_rules.orders_amount_zscore(dims, WINDOW, SETTINGS)
    assert ids(result) == {"O31", "O32"}  # a 20 % promotion (O30) is no outlier
    assert set(result.flagged["issue"]) == {"amount_high", "amount_low"}
    few = [order(i, 1) for i in range(5)] + [order(9, 1, total=900.0)]
    table(dims, "gold.fct_orders", few)  # too little history: not judged
    assert fact_rules.orders_amount_zscore(dims, WINDOW, SETTINGS).flagged.empty


def test_transaction_zscore_is_centred_on_the_cards_usual_amount(dims):
    base = [20.0, 25.0, 30.0, 35.0, 40.0]
    rows = [transaction(i, base[i % 5], card=f"CA{i % 4}") for i in range(40)]
    rows += [transaction(50 + i, 400.0 + i, card="CA9") for i in range(6)]  # a big spender
    rows += [transaction(90, 900.0, card="CA1"), transaction(91, 2.0, card="CA2")]
    table(dims, "gold.fct_transactions", rows)
    result = fact_rules.transactions_amount_zscore(dims, WINDOW, SETTINGS)
    assert ids(result) == {"T90", "T91"}  # CA9's usual 400s are not outliers for CA9
    strict = fact_rules.transactions_amount_zscore(
        dims, WINDOW, QualitySettings(zscore_threshold=50)
    )
    assert strict.flagged.empty


def test_transaction_zscore_judges_a_card_new_to_a_category_by_its_usual_level(dims):
    grocery = [20.0, 25.0, 30.0, 35.0, 40.0]
    travel = [100.0, 120.0, 140.0, 160.0, 180.0]
    rows = [transaction(i, grocery[i % 5], card=f"CA{i % 4}") for i in range(40)]
    rows += [transaction(100 + i, travel[i % 5], f"CA{i % 4}", "Travel") for i in range(25)]
    rows += [transaction(50 + i, 400.0 + i, card="CA9") for i in range(6)]  # spends 13x more
    rows += [transaction(60 + i, grocery[i], card="CA5") for i in range(5)]  # spends as most
    rows += [transaction(200, 1800.0, "CA9", "Travel"), transaction(201, 2800.0, "CA5", "Travel")]
    table(dims, "gold.fct_transactions", rows)
    flagged = fact_rules.transactions_amount_zscore(dims, WINDOW, SETTINGS).flagged
    # CA9's first trip costs what its level predicts; CA5's is 20x its level, and a single
    # row is no usual amount of its own (it would be its own median)
    assert set(flagged["record_id"]) == {"T201"}
    assert flagged["card_rows"].tolist() == [0]


def test_total_consistency_tells_missing_from_disagreeing_totals(dims):
    rows = [order(1, 2, 3.0), order(2, 2, 3.0, total=6.04), order(3, 2, 3.0, total=7.0),
            order(4, 2, 3.0, total=None), order(5, None, 3.0, total=6.0)]  # fmt: skip
    table(dims, "gold.fct_orders", rows)
    flagged = fact_rules.orders_total_consistency(dims, WINDOW, SETTINGS).flagged
    issues = dict(zip(flagged["record_id"], flagged["issue"], strict=True))
    assert issues == {"O3": "total_mismatch", "O4": "total_missing", "O5": "total_unverifiable"}
    holds = dict(zip(flagged["record_id"], flagged["holds_row"], strict=True))
    assert holds == {"O3": True, "O4": False, "O5": False}  # empty totals are imputed
    loose = QualitySettings(total_relative_tolerance=0.2)
    assert "O3" not in ids(fact_rules.orders_total_consistency(dims, WINDOW, loose))


def test_broken_keys_are_flagged_against_the_dimensions_as_they_are_now(dims):
    rows = [order(1), order(2, product="P404"), order(3, product=None),
            order(4, scv_customer_id="SCV-S"), order(5, scv_customer_id="SCV-OLD"),
            order(6, scv_customer_id=None, shop_customer_id=None),
            order(7, scv_customer_id="SCV-S", shop_customer_id="S7")]  # fmt: skip
    table(dims, "gold.fct_orders", rows)
    products = fact_rules.fk_orders_product(dims, WINDOW, SETTINGS).flagged
    assert dict(zip(products["record_id"], products["issue"], strict=True)) == {
        "O2": "product_unknown", "O3": "product_missing"}  # fmt: skip
    customers = fact_rules.fk_orders_customer(dims, WINDOW, SETTINGS).flagged.set_index("record_id")
    # S7's e-mail fits two customers (identity's review queue); S1's fits nobody on record
    assert customers["issue"].to_dict() == {
        "O4": "shop_account_not_linked", "O5": "customer_unresolved",
        "O6": "shop_customer_missing", "O7": "shop_account_ambiguous"}  # fmt: skip
    assert not customers.loc["O4", "holds_row"] and customers.loc["O5", "holds_row"]
    assert not customers.loc["O7", "holds_row"]
    assert "fits 2 customers" in customers.loc["O7", "detail"]
    assert "fits no CRM or legacy customer and it has 5 orders" in customers.loc["O4", "detail"]
    # an account of nobody on record with an order history is a shop-only customer
    established = QualitySettings(shop_customer_min_orders=5)
    customers = fact_rules.fk_orders_customer(dims, WINDOW, established).flagged
    assert set(customers["record_id"]) == {"O5", "O6", "O7"}
    transactions = [transaction(1, 5.0), transaction(2, 5.0, "CA2"), transaction(3, 5.0, "X")]
    table(dims, "gold.fct_transactions", transactions)
    cards = fact_rules.fk_transactions_card_account(dims, WINDOW, SETTINGS).flagged
    assert dict(zip(cards["record_id"], cards["issue"], strict=True)) == {
        "T2": "card_holder_unresolved", "T3": "card_unknown"}  # fmt: skip


def test_thresholds_turn_the_bad_share_into_pass_warn_error():
    thresholds = Thresholds(warn=0.01, error=0.05)
    assert judge(0.01, thresholds).passed
    assert judge(0.011, thresholds).severity == WARN and not judge(0.011, thresholds).passed
    assert judge(0.05, thresholds).severity == WARN
    assert judge(0.051, thresholds).severity == ERROR
    assert not judge(0.0001, Thresholds(0.0, 0.05)).passed  # warn 0: any bad row warns
    # rows kept in the marts for review (not held) can warn, never fail with ERROR
    assert judge_rows(50, 0, 100, thresholds).severity == WARN
    assert judge_rows(50, 6, 100, thresholds).severity == ERROR
    assert judge_rows(1, 0, 100, thresholds).passed


def test_quality_settings_come_from_the_environment_and_are_validated(monkeypatch):
    monkeypatch.setenv("SCV_DQ_IQR_MULTIPLIER", "1.5")
    monkeypatch.setenv("SCV_DQ_ORDERS_QUANTITY_IQR_ERROR", "0.2")
    settings = load_quality_settings()
    assert settings.iqr_multiplier == 1.5
    assert settings.thresholds("orders_quantity_iqr") == (0.0, 0.2)
    monkeypatch.setenv("SCV_DQ_FK_ORDERS_PRODUCT_WARN", "0.5")  # above its error (0.05)
    with pytest.raises(SettingsError, match="fk_orders_product"):
        load_quality_settings()


def test_row_check_quarantines_judges_and_explains(dims):
    quantities = [1, 2] * 15
    table(
        dims, "gold.fct_orders", [order(i, q) for i, q in enumerate(quantities)] + [order(77, 90)]
    )
    check = next(c for c in ROW_CHECKS if c.name == "orders_quantity_iqr")
    outcome = evaluate_row_check(dims, check, WINDOW, SETTINGS, "run-1", NOW)
    assert not outcome.verdict.passed and outcome.verdict.severity == WARN  # 1 / 31 = 3.2 %
    assert outcome.failed_rows == 1 and outcome.metadata["checked_rows"] == 31
    text = outcome.description
    assert "1 of 31 orders (3.23%) in 2025-03-03" in text and "O77" in text
    assert "quantity 90 outside" in text and "What to do: held out of the marts" in text
    [day] = outcome.days
    assert day.partition_key == "2025-03-03" and day.failed_rows == 1
    entry = dims.execute(
        "SELECT source, source_file, source_row, check_name, partition_key, holds_row, "
        "original_values, run_id FROM quality.quarantine"
    ).fetchone()
    assert entry[:6] == ("fct_orders", "shop/orders/orders_2025-03-03.csv", 78,
                         "orders_quantity_iqr", "2025-03-03", True)  # fmt: skip
    assert json.loads(entry[6])["quantity"] == 90 and entry[7] == "run-1"
    strict = QualitySettings(orders_quantity_iqr_error=0.01)
    outcome = evaluate_row_check(dims, check, WINDOW, strict, "run-2", NOW)
    assert outcome.verdict.severity == ERROR
    assert dims.execute("SELECT count(*) FROM quality.quarantine").fetchone()[0] == 1


def test_quarantine_is_idempotent_releases_fixed_rows_and_keeps_releases(dims):
    ensure_operational_tables(dims)
    flagged = pd.DataFrame(
        {"record_id": ["O1", "O2"], "partition_key": "2025-03-03",
         "source_file": "shop/orders/orders_2025-03-03.csv", "source_row": [2, 3],
         "batch_id": "b1", "column_name": "quantity", "issue": "quantity_above_fence",
         "detail": "too many", "holds_row": True}
    )  # fmt: skip

    def sync(frame, run):
        return sync_quarantine(dims, "orders_quantity_iqr", ORDERS, WINDOW, frame,
                               ["{}"] * len(frame), run, NOW)  # fmt: skip

    assert sync(flagged, "r1").added == 2
    again = sync(flagged, "r2")  # the same day checked again: nothing new
    assert (again.added, again.released, again.open, again.held) == (0, 0, 2, 2)
    fixed = sync(flagged.iloc[:1], "r3")  # O2 corrected upstream
    assert (fixed.added, fixed.released, fixed.open) == (0, 1, 1)
    assert release_rows(dims, "reviewed: genuine bulk order", "orders_quantity_iqr",
                        source_file=flagged["source_file"][0], source_row=2) == 1  # fmt: skip
    assert release_rows(dims, "again", "orders_quantity_iqr") == 0  # nothing else open
    assert sync(flagged.iloc[:1], "r4").added == 0  # still flagged, but released stays released
    redelivered = flagged.iloc[:1].assign(batch_id="b2")  # the file came again
    assert sync(redelivered, "r5").added == 1
    reasons = dims.execute(
        "SELECT release_reason FROM quality.quarantine WHERE released_at IS NULL"
    ).fetchall()
    assert reasons == [(None,)]  # only the re-delivered row is open


def test_duplicates_postal_codes_and_weather_coverage(dims):
    duplicates = customer_rules.customer_duplicates(dims, SETTINGS)
    assert duplicates.failed_rows == 2 and duplicates.verdict.severity == ERROR  # 2 of 2
    assert "email ann@x.com: SCV-A, SCV-S" in duplicates.description
    postal = customer_rules.postal_code_completeness(dims, SETTINGS)
    assert (
        postal.failed_rows == 1 and "1 of 2 current customers (50.00%) have" in postal.description
    )
    table(dims, "gold.weather_customer_coverage", [
        {"weather_date": date(2025, 3, 2), "current_customers": 2, "customers_with_weather": 2,
         "weather_coverage_share": 1.0},
        {"weather_date": DAY, "current_customers": 2, "customers_with_weather": 1,
         "weather_coverage_share": 0.5}])  # fmt: skip
    table(
        dims, "silver.stg_weather__forecast_day", [{"postal_code": "99999", "date_valid_std": DAY}]
    )
    coverage = customer_rules.weather_coverage(dims, SETTINGS)
    assert coverage.verdict.severity == WARN and coverage.days[0].partition_key == "2025-03-03"
    assert "02134 (1)" in coverage.description  # the ZIP code missing that day
    assert customer_rules.weather_coverage(
        dims, QualitySettings(weather_coverage_warn=0.5)
    ).verdict.passed


def test_volume_compares_each_day_with_the_same_weekday(con):
    ensure_operational_tables(con)
    rows = []
    for week in range(4):  # Mondays 40 rows, Tuesdays 10: weekday seasonality is normal
        for offset, n in ((0, 40), (1, 10)):
            day = date(2025, 2, 3 + 7 * week + offset)
            rows += [{"order_id": f"{day}-{i}", "_file_date": day} for i in range(n)]
    rows += [{"order_id": f"m-{i}", "_file_date": DAY} for i in range(12)]  # Monday drop
    rows += [{"order_id": f"t-{i}", "_file_date": date(2025, 3, 4)} for i in range(11)]
    table(con, "bronze.shop_orders", rows)
    week = CheckWindow(DAY, date(2025, 3, 6))  # Mon, Tue, and a Wednesday with no file
    outcome = source_rules.volume(con, ORDER_SPEC, week, SETTINGS)
    verdicts = {d.partition_key: d.verdict.label for d in outcome.days}
    assert verdicts == {"2025-03-03": "WARN", "2025-03-04": "PASS"}  # 12 vs 40: -70 %
    assert outcome.metadata["days_without_history"] == 1 and "drop of 70%" in outcome.description


def test_schema_change_compares_each_file_with_the_one_before(con):
    ensure_operational_tables(con)
    header = [c.name for c in PRODUCT_SPEC.columns]
    files = [(header, "a"), ([h.upper() for h in header], "b"),
             ([*header, "colour"], "c"), (header[:-1], "d")]  # fmt: skip
    for columns, stamp in files:
        con.execute(
            "INSERT INTO bronze.load_manifest VALUES ('shop_products', $f, NULL, 1, 'x', "
            "'loaded', 1, 1, 0, $h, NULL, $f, NULL, now(), true)",
            {"f": f"shop/products/products_{stamp}.csv", "h": json.dumps(columns)},
        )
    outcome = source_rules.schema_change(con, PRODUCT_SPEC, WINDOW, SETTINGS)
    assert outcome.failed_rows == 2 and outcome.verdict.severity == ERROR  # list_price lost
    assert "added [colour]" in outcome.description
    assert "removed [colour, listprice]" in outcome.description


def test_checks_judge_their_partition_or_all_history_in_a_partitioned_run(warehouse_path):
    partitions = dg.DailyPartitionsDefinition(start_date="2025-01-01")
    seen: dict[str, CheckWindow] = {}

    @dg.asset(partitions_def=partitions)
    def daily() -> None: ...

    @dg.asset(deps=[daily])
    def whole() -> None: ...

    def recorder(name: str):
        def evaluate(con, window, settings, run_id, now):
            seen[name] = window
            return Outcome(Verdict(True, WARN), f"{name} judged {window.label}", 0)

        return evaluate

    checks = [
        build_aggregate_check(
            AggregateCheck("daily_check", daily.key, "toy", (), recorder("daily"), True),
            partitions,
        ),
        build_aggregate_check(
            AggregateCheck("whole_check", whole.key, "toy", (), recorder("whole")), partitions
        ),
    ]
    result = dg.materialize(
        [daily, whole, *checks],
        partition_key="2025-01-02",
        resources={"warehouse": DuckDBResource(database=str(warehouse_path))},
    )
    assert result.success
    assert seen == {"daily": CheckWindow(date(2025, 1, 2), date(2025, 1, 3)), "whole": ALL_HISTORY}
    with connection(warehouse_path, read_only=True) as history:
        rows = history.execute(
            "SELECT check_name, partition_key, description FROM quality.check_results ORDER BY 1"
        ).fetchall()
    assert rows == [("daily_check", "2025-01-02", "daily judged 2025-01-02"),
                    ("whole_check", None, "whole judged all history")]  # fmt: skip
