"""Schedules: the daily build at 02:00 UTC for the previous day, monitoring every 6 hours."""

from __future__ import annotations

from typing import TYPE_CHECKING

import dagster as dg

if TYPE_CHECKING:
    from dagster._core.definitions.partitions.partitioned_schedule import (
        UnresolvedPartitionedAssetScheduleDefinition,
    )

DAILY_SCHEDULE = "scv_daily_schedule"
DAILY_HOUR, DAILY_MINUTE = 2, 0
DAILY_CRON = f"{DAILY_MINUTE} {DAILY_HOUR} * * *"
MONITORING_SCHEDULE = "scv_monitoring_schedule"
MONITORING_CRON = "0 */6 * * *"


def daily_schedule(
    job: dg.UnresolvedAssetJobDefinition,
) -> UnresolvedPartitionedAssetScheduleDefinition | dg.ScheduleDefinition:
    """At 02:00 UTC, the partition of the day that just ended (the job's partitions are UTC)."""
    return dg.build_schedule_from_partitioned_job(
        job,
        name=DAILY_SCHEDULE,
        hour_of_day=DAILY_HOUR,
        minute_of_hour=DAILY_MINUTE,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Builds yesterday's partition (UTC) and everything built on it, at 02:00.",
    )


def monitoring_schedule(job: dg.UnresolvedAssetJobDefinition) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name=MONITORING_SCHEDULE,
        job=job,
        cron_schedule=MONITORING_CRON,
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Evaluates every asset check every 6 hours; failures raise alerts.",
    )
