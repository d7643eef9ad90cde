"""The two operational jobs, executed for real on a small landing zone: scv_daily builds one day
and everything built on it; scv_monitoring then evaluates every check and materialises nothing."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import dagster as dg
from dagster._core.storage.tags import PARTITION_NAME_TAG

from scv_platform.warehouse.duckdb_connection import connection
from scv_platform_tests.automation_support import platform_definitions, write_card_holders
from scv_platform_tests.conftest import TRANSACTION_HEADER, transaction_row, write_csv

DAY = "2025-01-02"


def test_scv_daily_builds_one_day_then_scv_monitoring_only_checks(tmp_path: Path):
    landing = tmp_path / "landing"
    for day in ("2025-01-01", DAY):
        rows = [transaction_row(i, day) for i in range(2)]
        write_csv(landing / f"cards/transactions/transactions_{day}.csv", TRANSACTION_HEADER, rows)
    write_card_holders(landing)
    with platform_definitions(tmp_path) as defs, dg.instance_for_test() as instance:
        graph = defs.resolve_asset_graph()
        daily = defs.resolve_job_def("scv_daily").execute_in_process(
            instance=instance, partition_key=DAY, raise_on_error=False
        )
        assert daily.success
        partitions: dict[dg.AssetKey, set[str | None]] = defaultdict(set)
        for event in daily.get_asset_materialization_events():
            partitions[event.asset_key].add(event.partition)
        assert set(partitions) == set(graph.materializable_asset_keys)
        for key, days in partitions.items():
            assert days == ({DAY} if graph.get(key).partitions_def else {None}), key
        failed = [e for e in daily.get_asset_check_evaluations() if not e.passed]
        assert all(e.severity == dg.AssetCheckSeverity.WARN for e in failed), failed

        monitoring = defs.resolve_job_def("scv_monitoring").execute_in_process(
            instance=instance, tags={PARTITION_NAME_TAG: DAY}, raise_on_error=False
        )
        assert monitoring.success
        assert monitoring.get_asset_materialization_events() == []
        evaluations = monitoring.get_asset_check_evaluations()
        assert {e.asset_check_key for e in evaluations} == set(graph.asset_check_keys)
        # the data did not change in between: the same checks fail (WARN), no new ones
        assert {e.asset_check_key for e in evaluations if not e.passed} == {
            e.asset_check_key for e in failed
        }
    with connection(tmp_path / "warehouse.duckdb", read_only=True) as con:
        days = con.execute("SELECT DISTINCT _file_date::varchar FROM bronze.card_transactions")
        assert days.fetchall() == [(DAY,)]
        assert con.execute("SELECT count(*) FROM silver.stg_d365__contacts").fetchone()[0] == 2
