"""Schedules: the daily build at 02:00 UTC for the previous day, monitoring every 6 hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import dagster as dg
from dagster._core.storage.tags import PARTITION_NAME_TAG

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


def monitoring_schedule(
    job: dg.UnresolvedAssetJobDefinition, partitions: dg.TimeWindowPartitionsDefinition
) -> dg.ScheduleDefinition:
    """Every 6 hours, every check, with the day checks judging the last complete UTC day."""

    @dg.schedule(
        name=MONITORING_SCHEDULE,
        job=job,
        cron_schedule=MONITORING_CRON,
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=(
            "Evaluates every asset check every 6 hours (day checks on the last complete UTC "
            "day); failures raise alerts."
        ),
    )
    def scv_monitoring_schedule(context: dg.ScheduleEvaluationContext):
        now = context.scheduled_execution_time or datetime.now(UTC)
        day = (now.astimezone(UTC).date() - timedelta(days=1)).isoformat()
        first = partitions.get_first_partition_key()
        if first is None or day < first:
            return dg.SkipReason(f"no complete day partition yet (history starts {first})")
        return dg.RunRequest(tags={PARTITION_NAME_TAG: day})  # checks-only: tag, not key

    return scv_monitoring_schedule
