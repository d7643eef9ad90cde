"""Bronze assets and their checks in real Dagster materialisations on a DuckDB file."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)
from dagster_duckdb import DuckDBResource

from scv_platform.partitions import daily_partitions
from scv_platform.resources.landing_zone import LandingZoneResource
from scv_platform.sources.assets import build_bronze_assets
from scv_platform.sources.checks import build_all_bronze_checks
from scv_platform.warehouse.duckdb_connection import connection
from scv_platform_tests.conftest import TRANSACTION_HEADER, transaction_row, write_csv

START = date(2025, 1, 1)
TX = dg.AssetKey(["bronze", "card_transactions"])


@pytest.fixture
def defs(landing: Path, warehouse_path: Path) -> dg.Definitions:
    partitions = daily_partitions(START)
    return dg.Definitions(
        assets=build_bronze_assets(partitions, "duckdb"),
        asset_checks=build_all_bronze_checks(),
        resources={
            "warehouse": DuckDBResource(database=str(warehouse_path)),
            "landing_zone": LandingZoneResource(root=str(landing)),
        },
        jobs=[dg.define_asset_job("transactions", selection=dg.AssetSelection.assets(TX))],
    )


def write_day(landing: Path, day: str, rows: int, bad: int = 0) -> Path:
    content = [transaction_row(i, day) for i in range(rows)]
    content += [transaction_row(100 + i, day, amount="n/a") for i in range(bad)]
    return write_csv(
        landing / "cards/transactions" / f"transactions_{day}.csv", TRANSACTION_HEADER, content
    )


def run(defs: dg.Definitions, **kwargs) -> dg.ExecuteInProcessResult:
    job = defs.resolve_job_def("transactions")
    return job.execute_in_process(instance=dg.DagsterInstance.ephemeral(), **kwargs)


def bronze_count(warehouse_path: Path, day: str | None = None) -> int:
    where = f"WHERE _file_date = '{day}'" if day else ""
    with connection(warehouse_path, read_only=True) as con:
        return con.execute(f"SELECT count(*) FROM bronze.card_transactions {where}").fetchone()[0]


def check_results(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def test_two_days_then_a_rerun_of_one_day_leaves_no_duplicates(defs, landing, warehouse_path):
    write_day(landing, "2025-01-01", 3)
    write_day(landing, "2025-01-02", 4, bad=1)
    assert run(defs, partition_key="2025-01-01").success
    assert run(defs, partition_key="2025-01-02").success
    again = run(defs, partition_key="2025-01-02")
    assert again.success
    assert bronze_count(warehouse_path, "2025-01-01") == 3
    assert bronze_count(warehouse_path, "2025-01-02") == 4
    [materialization] = again.asset_materializations_for_node("bronze__card_transactions")
    assert materialization.metadata["files_skipped_already_loaded"].value == 1
    assert materialization.metadata["dagster/row_count"].value == 4
    checks = check_results(again)
    assert checks["card_transactions_load_reconciliation"].passed


def test_a_range_runs_as_one_run_and_loads_every_day_in_it(defs, landing, warehouse_path):
    for day in ("2025-01-01", "2025-01-02", "2025-01-03"):
        write_day(landing, day, 2)
    write_day(landing, "2025-01-04", 5)  # outside the range: untouched
    result = run(
        defs,
        tags={
            ASSET_PARTITION_RANGE_START_TAG: "2025-01-01",
            ASSET_PARTITION_RANGE_END_TAG: "2025-01-03",
        },
    )
    assert result.success
    partitions = {
        m.partition for m in result.asset_materializations_for_node("bronze__card_transactions")
    }
    assert partitions == {"2025-01-01", "2025-01-02", "2025-01-03"}
    assert bronze_count(warehouse_path) == 6


def test_load_metadata_reports_read_loaded_and_quarantined(defs, landing):
    write_day(landing, "2025-01-01", 5, bad=2)
    result = run(defs, partition_key="2025-01-01")
    [materialization] = result.asset_materializations_for_node("bronze__card_transactions")
    metadata = {k: v.value for k, v in materialization.metadata.items()}
    assert (metadata["rows_read"], metadata["rows_loaded"], metadata["rows_quarantined"]) == (
        7,
        5,
        2,
    )


def test_reconciliation_check_fails_when_bronze_rows_go_missing(defs, landing, warehouse_path):
    write_day(landing, "2025-01-01", 5)
    assert run(defs, partition_key="2025-01-01").success
    with connection(warehouse_path) as con:
        con.execute("DELETE FROM bronze.card_transactions WHERE _source_row = 3")
    result = run(defs, partition_key="2025-01-01", raise_on_error=False)
    evaluation = check_results(result)["card_transactions_load_reconciliation"]
    assert not evaluation.passed
    assert evaluation.metadata["files_not_reconciling"].value == 1


def test_rejected_file_warns_without_failing_the_run(defs, landing):
    write_csv(
        landing / "cards/transactions/transactions_2025-01-01.csv",
        ["transaction_id", "amount"],
        [["T1", "1.00"]],
    )
    result = run(defs, partition_key="2025-01-01")
    assert result.success
    evaluation = check_results(result)["card_transactions_rejected_files"]
    assert not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.WARN
    assert "transactions_2025-01-01.csv" in evaluation.metadata["rejected"].value


def test_absent_source_folder_is_reported_not_an_error(defs, landing):
    result = run(defs, partition_key="2025-01-01")
    assert result.success
    [materialization] = result.asset_materializations_for_node("bronze__card_transactions")
    assert materialization.metadata["landing_folder_present"].value is False
    assert materialization.metadata["files_found"].value == 0
