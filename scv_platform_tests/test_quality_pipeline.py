"""Data quality in real runs: real dbt and real Dagster on a small DuckDB warehouse.

The hand-made landing zone of test_dbt_staging gets a third day of orders with one absurd
quantity. Three phases share the warehouse, in one test so that the costly builds run once
whatever the test distribution: the row checks judge the day with a lenient error threshold
(WARN: the order is quarantined and held out of the marts, dbt tests and Python checks land
in the history); the order is released and the mart rebuilt (it flows back); then with the
default thresholds the check fails with ERROR and, being blocking, stops the marts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest

from scv_platform.definitions import build_definitions
from scv_platform.quality.quarantine import release_rows
from scv_platform.warehouse.duckdb_connection import connection
from scv_platform_tests.conftest import write_csv
from scv_platform_tests.test_dbt_staging import (
    ORDER_HEADER,
    run_dbt,
    write_d365,
    write_legacy,
    write_shop_cards_weather,
)
from scv_platform_tests.test_golden_record import CROSSWALK, load_bronze, write_crosswalk

DAY = "2025-01-03"
FCT_ORDERS = dg.AssetKey(["gold", "fct_orders"])
HELD = dg.AssetKey(["silver", "int_quality__held_fact_rows"])
ACTIVITY = dg.AssetKey(["gold", "int_activity__customer_day"])
QUANTITIES = [1, 2, 1, 1, 2, 1, 3, 1, 2, 1]
ORDERS_DAY_3 = [
    (f"O1{i}", f"{DAY}T1{i}:00:00", "S1", "ann@x.com", "P2", str(q), "9.00", f"{9 * q}.00",
     "placed")
    for i, q in enumerate(QUANTITIES)
] + [("O20", f"{DAY}T20:00:00", "S1", "ann@x.com", "P1", "500", "89.90", "44950.00",
       "placed")]  # fmt: skip
ACTIVITY_SQL = (
    "SELECT orders_placed FROM gold.int_activity__customer_day "
    f"WHERE scv_customer_id = 'SCV-A' AND activity_date = DATE '{DAY}'"
)


@dataclass
class Phase:
    result: dg.ExecuteInProcessResult
    quarantine: list[tuple]
    history: list[tuple]
    orders_in_mart: int | None


def query(warehouse: Path, sql: str, params: dict | None = None) -> list[tuple]:
    with connection(warehouse, read_only=True) as con:
        return con.execute(sql, params or {}).fetchall()


def materialize_day(
    defs: dg.Definitions, instance: dg.DagsterInstance
) -> dg.ExecuteInProcessResult:
    """The day's orders fact, its checks and the marts after it, in one dg.materialize."""
    return dg.materialize(
        [*defs.assets, *defs.asset_checks],
        selection=dg.AssetSelection.assets(FCT_ORDERS, HELD, ACTIVITY),
        partition_key=DAY,
        resources=defs.resources,
        instance=instance,
        raise_on_error=False,
    )


def snapshot(warehouse: Path, result: dg.ExecuteInProcessResult) -> Phase:
    quarantine = query(
        warehouse,
        "SELECT check_name, source, source_row, partition_key, holds_row, released_at IS NULL "
        "FROM quality.quarantine WHERE source = 'fct_orders'",
    )
    history = query(
        warehouse,
        "SELECT check_name, asset_key, partition_key, passed, severity, failed_rows, description "
        "FROM quality.check_results WHERE run_id = $run",
        {"run": result.run_id},
    )
    mart = query(warehouse, ACTIVITY_SQL)
    return Phase(result, quarantine, history, mart[0][0] if mart else None)


def run_phases(root: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    warehouse, landing = root / "warehouse.duckdb", root / "landing"
    monkeypatch.setenv("SCV_LANDING_DIR", str(landing))
    monkeypatch.setenv("SCV_WAREHOUSE_PATH", str(warehouse))
    monkeypatch.setenv("SCV_HISTORY_START", "2025-01-01")
    write_d365(landing)
    write_legacy(landing)
    write_shop_cards_weather(landing)
    write_csv(landing / f"shop/orders/orders_{DAY}.csv", ORDER_HEADER, ORDERS_DAY_3)
    load_bronze(landing, warehouse)
    write_crosswalk(warehouse, CROSSWALK)
    built = run_dbt(
        ["build", "--exclude-resource-type", "test", "unit_test"], warehouse, root / "target"
    )
    assert built.returncode == 0, built.stdout[-4000:]
    defs = build_definitions()
    instance = dg.DagsterInstance.ephemeral()

    monkeypatch.setenv("SCV_DQ_ORDERS_QUANTITY_IQR_ERROR", "0.5")
    warned = snapshot(warehouse, materialize_day(defs, instance))

    with connection(warehouse) as con:
        released = release_rows(con, "reviewed: a genuine bulk order", "orders_quantity_iqr")
    rebuilt = run_dbt(["run", "--select", "int_activity__customer_day"], warehouse, root / "t2")
    assert rebuilt.returncode == 0, rebuilt.stdout[-4000:]
    after_release = query(warehouse, ACTIVITY_SQL)[0][0]

    monkeypatch.delenv("SCV_DQ_ORDERS_QUANTITY_IQR_ERROR")
    blocked = snapshot(warehouse, materialize_day(defs, instance))
    return {"warned": warned, "released": released, "after_release": after_release,
            "blocked": blocked}  # fmt: skip


def materialized_keys(result: dg.ExecuteInProcessResult) -> set[dg.AssetKey]:
    return {e.asset_key for e in result.get_asset_materialization_events()}


def evaluation(result: dg.ExecuteInProcessResult, name: str) -> dg.AssetCheckEvaluation:
    return next(e for e in result.get_asset_check_evaluations() if e.check_name == name)


def assert_flagged_order_is_quarantined_and_held_out_of_the_marts(phases: dict) -> None:
    warned: Phase = phases["warned"]
    assert warned.result.success
    check = evaluation(warned.result, "orders_quantity_iqr")
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert check.partition == DAY
    assert "1 of 11 orders (9.09%) in 2025-01-03" in check.description
    assert "O20 (2025-01-03): quantity 500 outside" in check.description
    # O20 is the 12th line of its file (header = line 1)
    assert warned.quarantine == [("orders_quantity_iqr", "fct_orders", 12, DAY, True, True)]
    assert warned.orders_in_mart == len(QUANTITIES)  # the held order is not in the mart
    assert ACTIVITY in materialized_keys(warned.result)  # the marts were built


def assert_python_checks_and_dbt_tests_land_in_the_history(phases: dict) -> None:
    history = phases["warned"].history
    python = [h for h in history if h[0] == "orders_quantity_iqr"]
    assert python == [
        ("orders_quantity_iqr", "gold/fct_orders", DAY, False, "WARN", 1,
         "1 of 11 orders have a quantity outside Q1 - 3 x IQR .. Q3 + 3 x IQR of their "
         "product category.")
    ]  # fmt: skip
    passing = {h[0] for h in history if h[3]}
    assert {"fk_orders_product", "orders_total_consistency"} <= passing
    dbt_tests = [h for h in history if h[1] == "silver/int_quality__held_fact_rows"]
    assert dbt_tests and all(h[3] for h in dbt_tests)
    assert any(h[0].startswith("not_null_int_quality__held_fact_rows") for h in dbt_tests)


def assert_a_released_row_flows_back_into_the_marts(phases: dict) -> None:
    assert phases["released"] == 1
    assert phases["after_release"] == len(QUANTITIES) + 1


def assert_a_blocking_error_stops_the_downstream_assets(phases: dict) -> None:
    blocked: Phase = phases["blocked"]
    assert not blocked.result.success
    check = evaluation(blocked.result, "orders_quantity_iqr")
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    materialized = materialized_keys(blocked.result)
    assert FCT_ORDERS in materialized and ACTIVITY not in materialized
    # the reviewed release holds: the order is not quarantined again, so the mart keeps it
    assert [q[-1] for q in blocked.quarantine] == [False]
    assert ("orders_quantity_iqr", "gold/fct_orders", DAY, False, "ERROR", 1) in [
        h[:6] for h in blocked.history
    ]


def test_quality_checks_in_real_dbt_and_dagster_runs(tmp_path, monkeypatch):
    phases = run_phases(tmp_path, monkeypatch)
    assert_flagged_order_is_quarantined_and_held_out_of_the_marts(phases)
    assert_python_checks_and_dbt_tests_land_in_the_history(phases)
    assert_a_released_row_flows_back_into_the_marts(phases)
    assert_a_blocking_error_stops_the_downstream_assets(phases)
