"""A date-range backfill from the CLI, as the README documents it, on an installed platform
(built once, with no data yet): one run, every day asset materialised for exactly the days of
the range."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import dagster as dg
from dagster._core.events import DagsterEventType
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from scv_platform.settings import PROJECT_ROOT
from scv_platform.warehouse.duckdb_connection import connection
from scv_platform_tests.automation_support import platform_env, write_card_holders
from scv_platform_tests.conftest import TRANSACTION_HEADER, transaction_row, write_csv

DAYS = ["2025-01-01", "2025-01-02", "2025-01-03"]
BACKFILL = [
    "asset", "materialize", "-m", "scv_platform.definitions",
    "--select", "tag:daily_partitioned", "--partition-range", f"{DAYS[0]}...{DAYS[-1]}",
]  # fmt: skip


def _run(command: list[str], env: dict[str, str]) -> None:
    completed = subprocess.run(
        command,
        cwd=PROJECT_ROOT,
        env={**os.environ, **env, "PYTHONWARNINGS": "ignore"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]


def test_cli_backfill_of_three_days_is_one_run_of_those_partitions(tmp_path: Path, monkeypatch):
    env = platform_env(tmp_path)
    landing = Path(env["SCV_LANDING_DIR"])
    bin_dir = Path(sys.executable).parent
    write_card_holders(landing)
    _run([str(bin_dir / "scv"), "run"], env)  # the daily facts read silver models built once
    for day in [*DAYS, "2025-01-04"]:  # the 4th day is outside the range
        rows = [transaction_row(i, day) for i in range(2)]  # cards CA0 and CA1
        write_csv(landing / f"cards/transactions/transactions_{day}.csv", TRANSACTION_HEADER, rows)

    _run([str(bin_dir / "dagster"), *BACKFILL], env)

    monkeypatch.setenv("DAGSTER_HOME", env["DAGSTER_HOME"])
    with dg.DagsterInstance.get() as instance:
        [run] = [r for r in instance.get_runs() if ASSET_PARTITION_RANGE_START_TAG in r.tags]
        assert run.status == dg.DagsterRunStatus.SUCCESS
        assert run.tags[ASSET_PARTITION_RANGE_START_TAG] == DAYS[0]
        assert run.tags[ASSET_PARTITION_RANGE_END_TAG] == DAYS[-1]
        partitions: dict[str, set[str]] = defaultdict(set)
        for record in instance.get_records_for_run(
            run.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION
        ).records:
            event = record.event_log_entry.dagster_event
            partitions[event.asset_key.to_user_string()].add(event.partition)
    daily = {"bronze/card_transactions", "bronze/shop_orders", "bronze/weather_forecast_day",
             "gold/fct_transactions", "gold/fct_orders"}  # fmt: skip
    assert daily <= set(partitions)
    assert all(days == set(DAYS) for days in partitions.values()), partitions
    with connection(Path(env["SCV_WAREHOUSE_PATH"]), read_only=True) as con:
        loaded = con.execute(
            "SELECT _file_date::varchar, count(*) FROM bronze.card_transactions GROUP BY 1"
        ).fetchall()
    assert dict(loaded) == dict.fromkeys(DAYS, 2)
