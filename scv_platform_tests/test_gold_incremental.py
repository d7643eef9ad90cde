"""Incremental gold on the tiny landing zone: the daily facts through Dagster, then
int_activity__customer_day (by day), int_activity__customer_month and
metric_avg_transaction_value (by month) with real dbt runs. A build redoes only the days that
changed (new or re-run facts, facts re-resolved to another customer, rows held or released by
a data-quality check) and always equals a full rebuild.
"""

from __future__ import annotations

from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from scv_platform.warehouse.duckdb_connection import connect
from scv_platform_tests.test_dbt_staging import run_dbt
from scv_platform_tests.test_gold_facts import (  # noqa: F401
    daily_facts,
    deliver_transactions,
    materialise,
)
from scv_platform_tests.test_golden_record import query

CUSTOMER_DAY = "int_activity__customer_day"
MONTHLY = "metric_avg_transaction_value"
CUSTOMER_MONTH = "int_activity__customer_month"
MONTHS_SQL = (
    "select month_start_date::varchar, merchant_category, channel, approved_transactions, "
    f"declined_transactions, approved_amount::double, customers from gold.{MONTHLY} order by all"
)
CUSTOMER_MONTHS_SQL = (
    "select * exclude (_built_at) replace (total_value::double as total_value) "
    f"from gold.{CUSTOMER_MONTH} order by all"
)
DAYS_SQL = (
    "select scv_customer_id, activity_date::varchar, card_spend::double, "
    "approved_transactions, orders, order_value::double "
    f"from gold.{CUSTOMER_DAY} order by all"
)
BUILT_SQL = f"select activity_date::varchar, max(_built_at) from gold.{CUSTOMER_DAY} group by 1"


def build_customer_day(warehouse, target, *flags: str) -> list[tuple]:
    """Build the two incremental models; the customer days."""
    models = [CUSTOMER_DAY, MONTHLY, CUSTOMER_MONTH]
    built = run_dbt(["run", "--select", *models, *flags], warehouse, target)
    assert built.returncode == 0, built.stdout[-3000:]
    return query(warehouse, DAYS_SQL)


def incremental_equals_full_rebuild(warehouse, tmp_path, step: str) -> list[tuple]:
    incremental = build_customer_day(warehouse, tmp_path / f"{step}-incremental")
    months = [query(warehouse, MONTHS_SQL), query(warehouse, CUSTOMER_MONTHS_SQL)]
    full = build_customer_day(warehouse, tmp_path / f"{step}-full", "--full-refresh")
    assert incremental == full
    assert months == [query(warehouse, MONTHS_SQL), query(warehouse, CUSTOMER_MONTHS_SQL)]
    return incremental


def execute(warehouse, sql: str) -> None:
    con = connect(warehouse)
    try:
        con.execute(sql)
    finally:
        con.close()


def test_customer_day_redoes_only_the_days_that_changed(daily_facts, tmp_path):  # noqa: F811
    daily, resources, warehouse, _ = daily_facts
    three_days = {
        ASSET_PARTITION_RANGE_START_TAG: "2025-01-01",
        ASSET_PARTITION_RANGE_END_TAG: "2025-01-03",
    }
    materialise(daily, resources, tags=three_days)
    first = build_customer_day(warehouse, tmp_path / "first")
    assert first == [
        ("SCV-A", "2025-01-01", 12.5, 1, 2, 107.9),  # T1, O1 and O2 (imputed)
        ("SCV-A", "2025-01-02", 20.0, 1, 0, 0.0),  # T3
        ("SCV-B", "2025-01-01", 0.0, 0, 1, 9.0),  # T2 declined, O3
        ("SCV-B", "2025-01-03", 0.0, 0, 0, 0.0),  # O5 cancelled
    ]
    built_first = dict(query(warehouse, BUILT_SQL))

    # a re-run of day 2 builds that day again, and day 1, the order day of O1 (delivered
    # again in the day-2 file); day 3 is kept
    materialise(daily, resources, partition_key="2025-01-02")
    assert build_customer_day(warehouse, tmp_path / "rerun") == first
    built_again = dict(query(warehouse, BUILT_SQL))
    assert built_again["2025-01-03"] == built_first["2025-01-03"]
    assert built_again["2025-01-02"] > built_first["2025-01-02"]
    assert built_again["2025-01-01"] > built_first["2025-01-01"]

    # identity moves card CA1 to SCV-B: the next day's run re-resolves T1 (day 1) and T3
    execute(
        warehouse,
        "update gold.dim_card_account set scv_customer_id = 'SCV-B' where card_account_id = 'CA1'",
    )
    materialise(daily, resources, partition_key="2025-01-03")
    assert query(
        warehouse,
        "select transaction_id, scv_customer_id from gold.fct_transactions "
        "where card_account_id = 'CA1' order by 1",
    ) == [("T1", "SCV-B"), ("T3", "SCV-B")]
    moved = incremental_equals_full_rebuild(warehouse, tmp_path, "moved")
    assert ("SCV-B", "2025-01-01", 12.5, 1, 1, 9.0) in moved
    assert ("SCV-B", "2025-01-02", 20.0, 1, 0, 0.0) in moved
    assert ("SCV-A", "2025-01-01", 0.0, 0, 2, 107.9) in moved

    # a data-quality check holds T3: its day drops it without any fact being rebuilt
    execute(
        warehouse,
        "insert into quality.quarantine (source, source_file, source_row, reason, check_name, "
        "quarantined_at, holds_row) select 'fct_transactions', _source_file, _source_row, "
        "'test hold', 'test_check', now(), true from gold.fct_transactions "
        "where transaction_id = 'T3'",
    )
    held = incremental_equals_full_rebuild(warehouse, tmp_path, "held")
    assert not [row for row in held if row[:2] == ("SCV-B", "2025-01-02")]
    spend_b = (
        f"select card_spend::double from gold.{CUSTOMER_MONTH} where scv_customer_id = 'SCV-B'"
    )
    assert query(warehouse, spend_b) == [(12.5,)]  # T1 only

    # and released: it is counted again
    execute(
        warehouse,
        "update quality.quarantine set released_at = now() where check_name = 'test_check'",
    )
    month_built = query(warehouse, f"select max(_built_at) from gold.{MONTHLY}")
    released = incremental_equals_full_rebuild(warehouse, tmp_path, "released")
    assert next(row for row in released if row[:2] == ("SCV-B", "2025-01-02"))[2] == 20.0
    approved = query(warehouse, "select count(*) from gold.fct_transactions where is_approved")
    assert sum(row[3] for row in query(warehouse, MONTHS_SQL)) == approved[0][0] > 0
    assert query(warehouse, f"select max(_built_at) from gold.{MONTHLY}") > month_built

    # the key test counts the keys of the last build (here: every row) over the whole table
    key_test = (
        "unique_combination_of_columns_int_activity__customer_day_scv_customer_id__activity_date"
    )
    tested = resources["dbt"].cli(["test", "--select", key_test], raise_on_error=False)
    assert tested.is_successful()
    execute(
        warehouse,
        f"insert into gold.{CUSTOMER_DAY} select * from gold.{CUSTOMER_DAY} "
        "where activity_date = date '2025-01-01' limit 1",
    )
    tested = resources["dbt"].cli(["test", "--select", key_test], raise_on_error=False)
    assert not tested.is_successful()


MOM = "metric_mom_spend_change"
MOM_SQL = (
    "select scv_customer_id, month_start_date::varchar, total_value::double, "
    f"previous_month_value::double from gold.{MOM} order by all"
)


def build_months(warehouse, target) -> list[tuple]:
    models = [CUSTOMER_DAY, CUSTOMER_MONTH, "int_activity__as_of_date", MOM]
    built = run_dbt(["run", "--select", *models], warehouse, target)
    assert built.returncode == 0, built.stdout[-3000:]
    return query(warehouse, MOM_SQL)


def test_month_over_month_redoes_every_month_from_a_changed_one(daily_facts, tmp_path):  # noqa: F811
    daily, resources, warehouse, landing = daily_facts
    materialise(daily, resources, partition_key="2025-01-01")
    deliver_transactions(warehouse, landing, "2025-02-03",
                         [("T9", "CA1", "2025-02-03T09:00:00", "30.00", "Corner Shop",
                           "Grocery", "5411", "in_store", "approved", "")])  # fmt: skip
    materialise(daily, resources, partition_key="2025-02-03")
    first = build_months(warehouse, tmp_path / "first")
    assert ("SCV-A", "2025-02-01", 30.0, 30.5) in first  # T9, after T1 + O2 in January

    # January changes (T1 re-delivered at 50.00): February's previous month changes too
    deliver_transactions(warehouse, landing, "2025-01-01",
                         [("T1", "CA1", "2025-01-01T10:00:00", "50.00", "Corner Shop",
                           "Grocery", "5411", "In Store", "APPROVED", "")])  # fmt: skip
    materialise(daily, resources, partition_key="2025-01-01")
    incremental = build_months(warehouse, tmp_path / "incremental")
    assert ("SCV-A", "2025-02-01", 30.0, 68.0) in incremental
    months_built = query(
        warehouse,
        f"select distinct month_start_date::varchar from gold.{MOM} "
        f"where _built_at = (select max(_built_at) from gold.{MOM})",
    )
    assert sorted(months_built) == [("2025-01-01",), ("2025-02-01",)]
    full = run_dbt(["run", "--full-refresh", "--select", MOM], warehouse, tmp_path / "full")
    assert full.returncode == 0, full.stdout[-3000:]
    assert query(warehouse, MOM_SQL) == incremental

    # nothing changed since: the next build keeps every row as it was
    last_built = f"select max(_built_at) from gold.{MOM}"
    built_before = query(warehouse, last_built)
    assert build_months(warehouse, tmp_path / "again") == incremental
    assert query(warehouse, last_built) == built_before
