"""Daily-partitioned incremental facts run through Dagster on a real DuckDB warehouse.

The tiny landing zone of test_gold_marts is loaded into bronze and everything upstream of
the facts is built with dbt; then the partitioned dbt asset runs by day in real Dagster
materialisations: two days, a re-run of one (no duplicates, a re-delivered file replaces
its day), and a three-day backfill as one run.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import dagster as dg
import pytest
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)
from dagster_duckdb import DuckDBResource

from scv_platform.partitions import daily_partitions
from scv_platform.settings import load_settings
from scv_platform.sources.landing import list_landing_files
from scv_platform.sources.loader import load_files
from scv_platform.sources.specs import SOURCES
from scv_platform.transform.assets import build_dbt_assets
from scv_platform.transform.project import dbt_resource, ensure_manifest, scv_dbt_project
from scv_platform.warehouse.duckdb_connection import connect
from scv_platform_tests.conftest import TRANSACTION_HEADER, write_csv
from scv_platform_tests.test_dbt_staging import TRANSACTIONS, run_dbt
from scv_platform_tests.test_gold_marts import build_tiny_bronze
from scv_platform_tests.test_golden_record import query

FACTS = (dg.AssetKey(["gold", "fct_transactions"]), dg.AssetKey(["gold", "fct_orders"]))


@pytest.fixture
def daily_facts(tmp_path, monkeypatch):
    """The daily dbt asset and its resources over a warehouse built up to the facts."""
    warehouse = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("SCV_WAREHOUSE_PATH", str(warehouse))
    landing = tmp_path / "landing"
    build_tiny_bronze(landing, warehouse)
    built = run_dbt(["build", "--exclude", "tag:daily_partitioned+"], warehouse, tmp_path / "t")
    assert built.returncode == 0, built.stdout[-3000:]
    project = scv_dbt_project(load_settings())
    ensure_manifest(project)
    _, daily = build_dbt_assets(project, daily_partitions(date(2025, 1, 1)), "duckdb")
    resources = {"dbt": dbt_resource(project), "warehouse": DuckDBResource(database=str(warehouse))}
    return daily, resources, warehouse, landing


def materialise(daily, resources, **kwargs) -> dg.ExecuteInProcessResult:
    result = dg.materialize([daily], resources=resources, selection=list(FACTS), **kwargs)
    assert result.success
    return result


def deliver_transactions(warehouse, landing, day: str, rows: list[tuple]) -> None:
    """A card transaction file for ``day`` lands and is loaded into bronze."""
    write_csv(landing / f"cards/transactions/transactions_{day}.csv", TRANSACTION_HEADER, rows)
    con = connect(warehouse)
    try:
        spec = next(s for s in SOURCES if s.table == "card_transactions")
        load_files(con, spec, list_landing_files(spec, landing).files)
    finally:
        con.close()


def fact_rows(warehouse) -> dict[str, list[tuple]]:
    return {
        "transactions": query(
            warehouse,
            "select transaction_id, partition_date::varchar from gold.fct_transactions order by 1",
        ),
        "orders": query(
            warehouse, "select order_id, partition_date::varchar from gold.fct_orders order by 1"
        ),
    }


def test_two_days_then_a_rerun_of_one_leaves_no_duplicates(daily_facts):
    daily, resources, warehouse, landing = daily_facts
    materialise(daily, resources, partition_key="2025-01-01")
    assert fact_rows(warehouse) == {
        "transactions": [("T1", "2025-01-01"), ("T2", "2025-01-01")],
        # O1 was delivered again in the 01-02 file: it belongs to that day
        "orders": [("O2", "2025-01-01"), ("O3", "2025-01-01")],
    }
    materialise(daily, resources, partition_key="2025-01-02")
    after_two_days = fact_rows(warehouse)
    assert after_two_days["transactions"] == [
        ("T1", "2025-01-01"), ("T2", "2025-01-01"), ("T3", "2025-01-02"), ("T4", "2025-01-02"),
    ]  # fmt: skip
    assert after_two_days["orders"][0] == ("O1", "2025-01-02")

    materialise(daily, resources, partition_key="2025-01-01")
    assert fact_rows(warehouse) == after_two_days

    # the processor re-delivers day 1 without T2: the day's re-run drops it
    deliver_transactions(
        warehouse, landing, "2025-01-01", [row for row in TRANSACTIONS if row[0] != "T2"]
    )
    materialise(daily, resources, partition_key="2025-01-01")
    assert [row[0] for row in fact_rows(warehouse)["transactions"]] == ["T1", "T3", "T4"]


def test_a_three_day_backfill_is_one_run_over_three_partitions(daily_facts):
    daily, resources, warehouse, _ = daily_facts
    result = materialise(
        daily,
        resources,
        tags={
            ASSET_PARTITION_RANGE_START_TAG: "2025-01-01",
            ASSET_PARTITION_RANGE_END_TAG: "2025-01-03",
        },
    )
    materialised = {
        (event.asset_key, event.partition)
        for event in result.get_asset_materialization_events()
        for event in [event.step_materialization_data.materialization]
    }
    days = {"2025-01-01", "2025-01-02", "2025-01-03"}
    assert {p for key, p in materialised if key == FACTS[0]} == days
    assert {p for key, p in materialised if key == FACTS[1]} == days
    rows = fact_rows(warehouse)
    assert len(rows["transactions"]) == 4 and len(rows["orders"]) == 5
    # the run made one dbt invocation for the whole range
    dbt_steps = [e for e in result.all_events if e.event_type_value == "STEP_START"]
    assert len(dbt_steps) == 1

    # a day's run checks the day's ids for duplicates over the whole table: T1 (day 1)
    # appearing again on day 3 fails the runs of both days, not day 2's
    assert ids_are_unique(resources, "2025-01-02")
    con = connect(warehouse)
    try:
        con.execute(
            "insert into gold.fct_transactions select * replace (date '2025-01-03' as "
            "partition_date) from gold.fct_transactions where transaction_id = 'T1'"
        )
    finally:
        con.close()
    assert not ids_are_unique(resources, "2025-01-01")
    assert not ids_are_unique(resources, "2025-01-03")
    assert ids_are_unique(resources, "2025-01-02")


def ids_are_unique(resources, day: str) -> bool:
    """Whether the fact's uniqueness test passes in a run of ``day``."""
    window = {
        "min_date": day,
        "max_date": (date.fromisoformat(day) + timedelta(days=1)).isoformat(),
    }
    args = [
        "test",
        "--select",
        "unique_fct_transactions_transaction_id",
        "--vars",
        json.dumps(window),
    ]
    return resources["dbt"].cli(args, raise_on_error=False).is_successful()
