"""The local instance's pooled SQLite storage: what Dagster stores, read back by Dagster's own
storage over the same files; engines bounded, closed on wipe and dispose."""

import shutil
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage

from scv_platform.instance import sqlite_storage
from scv_platform.instance.sqlite_storage import (
    PooledSqliteEventLogStorage,
    PooledSqliteRunStorage,
)
from scv_platform.settings import PROJECT_ROOT

DAYS = dg.DailyPartitionsDefinition("2026-01-01", end_date="2026-01-11")


@dg.asset(partitions_def=DAYS, backfill_policy=dg.BackfillPolicy.single_run())
def daily_rows(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"days": len(context.partition_keys)})


@dg.asset_check(asset=daily_rows)
def daily_rows_present() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


@pytest.fixture
def project_instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """An instance configured by the repository's dagster.yaml in a fresh DAGSTER_HOME."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copyfile(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with dg.DagsterInstance.get() as instance:
        yield instance


def materialise_days(instance: dg.DagsterInstance, first: str, last: str) -> str:
    tags = {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}
    result = dg.materialize([daily_rows, daily_rows_present], instance=instance, tags=tags)
    assert result.success
    return result.run_id


def test_the_project_instance_stores_runs_events_and_checks_that_dagsters_own_storage_reads(
    project_instance: dg.DagsterInstance, tmp_path: Path
):
    assert isinstance(project_instance.event_log_storage, PooledSqliteEventLogStorage)
    assert isinstance(project_instance.run_storage, PooledSqliteRunStorage)
    run_id = materialise_days(project_instance, "2026-01-01", "2026-01-10")
    materialise_days(project_instance, "2026-01-03", "2026-01-04")
    assert project_instance.get_materialized_partitions(daily_rows.key) == set(
        DAYS.get_partition_keys()
    )
    stock = DagsterSqliteStorage.from_local(str(tmp_path / "dagster_home"))
    try:
        runs = {r.run_id: r for r in stock.run_storage.get_runs()}
        assert len(runs) == 2 and runs[run_id].is_success
        records = stock.event_log_storage.fetch_materializations(daily_rows.key, limit=100)
        assert len(records.records) == 12  # 10 days, then 2 again
        checks = stock.event_log_storage.get_asset_check_execution_history(
            dg.AssetCheckKey(daily_rows.key, "daily_rows_present"), limit=100
        )
        assert {c.partition for c in checks} - {None} == set(DAYS.get_partition_keys())
    finally:
        stock.dispose()


def test_open_engines_stay_bounded_and_a_wipe_closes_them_before_deleting_shards(
    project_instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(sqlite_storage, "MAX_OPEN_SHARDS", 3)
    storage = project_instance.event_log_storage
    assert isinstance(storage, PooledSqliteEventLogStorage)
    run_ids = [materialise_days(project_instance, "2026-01-01", "2026-01-02") for _ in range(4)]
    assert len(storage._engines) == 3
    assert run_ids[0] not in storage._engines  # the least recently used run shard was closed
    assert len(storage.get_logs_for_run(run_ids[0])) > 0  # and opens again on demand
    storage.wipe()
    assert set(storage._engines) == {"index"}  # run shards closed; the index was emptied
    assert not storage.get_all_run_ids()
    assert project_instance.get_materialized_partitions(daily_rows.key) == set()
    materialise_days(project_instance, "2026-01-05", "2026-01-05")
    assert project_instance.get_materialized_partitions(daily_rows.key) == {"2026-01-05"}


def test_dispose_closes_every_engine(tmp_path: Path):
    storage = PooledSqliteEventLogStorage(str(tmp_path / "runs"))
    assert isinstance(storage, SqliteEventLogStorage)
    for connection in (storage.run_connection("run-a"), storage.index_connection()):
        with connection:  # one at a time: the storage serialises access to its files
            pass
    assert set(storage._engines) == {"run-a", "index"}
    storage.dispose()
    assert storage._engines == {}
