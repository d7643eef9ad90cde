"""Time every Python data-quality check over one day partition, without materialising.

    SCV_WAREHOUSE_PATH=... python -m scv_platform.quality.timing YYYY-MM-DD

Runs the checks in-process against the configured warehouse (they write the quarantine and
the check history: use a copy) and prints each check's step time and the run's wall time.
"""

from __future__ import annotations

import sys
import time
import warnings

import dagster as dg
from dagster._core.storage.tags import PARTITION_NAME_TAG

from scv_platform.definitions import build_definitions
from scv_platform.partitions import daily_partitions
from scv_platform.quality.checks import build_quality_checks
from scv_platform.settings import load_settings
from scv_platform.warehouse.sql import checked_partition_key

JOB = "quality_checks_timing"


def step_seconds(instance: dg.DagsterInstance, run_id: str) -> dict[str, float]:
    """Seconds from each step's start to its success or failure, from the run's event log."""
    started: dict[str, float] = {}
    seconds: dict[str, float] = {}
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type_value == "STEP_START":
            started[event.step_key] = entry.timestamp
        elif event.event_type_value in {"STEP_SUCCESS", "STEP_FAILURE"}:
            seconds[event.step_key] = entry.timestamp - started.get(event.step_key, entry.timestamp)
    return seconds


def main(argv: list[str] | None = None) -> int:
    warnings.filterwarnings("ignore")
    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 1:
        print(__doc__)
        return 2
    day = checked_partition_key(args[0])
    settings = load_settings()
    partitions = daily_partitions(settings.history_start)
    keys = [key for check in build_quality_checks(partitions) for key in check.check_keys]
    job = dg.define_asset_job(
        JOB, selection=dg.AssetSelection.checks(*keys), partitions_def=partitions
    )
    defs = dg.Definitions.merge(build_definitions(settings), dg.Definitions(jobs=[job]))
    instance = dg.DagsterInstance.ephemeral()
    started = time.perf_counter()
    result = defs.resolve_job_def(JOB).execute_in_process(
        # a checks-only job has no asset to validate a partition key against: tag the run
        instance=instance,
        tags={PARTITION_NAME_TAG: day},
        run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
        raise_on_error=False,
    )
    wall = time.perf_counter() - started
    for step, seconds in sorted(
        step_seconds(instance, result.run_id).items(), key=lambda item: -item[1]
    ):
        print(f"{seconds:7.2f} s  {step}")
    outcome = "ok" if result.success else "failed"
    print(f"{wall:7.2f} s  all {len(keys)} checks over {day} (run {outcome})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
