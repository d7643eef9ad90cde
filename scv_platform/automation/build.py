"""Everything ``automation`` adds to the one Definitions: jobs, schedules, sensors, notifier."""

from __future__ import annotations

from typing import Any, NamedTuple

import dagster as dg

from scv_platform.automation.alert_sensors import (
    build_check_failure_sensor,
    build_run_failure_sensor,
)
from scv_platform.automation.jobs import daily_job, full_build_job, monitoring_job
from scv_platform.automation.landing_sensor import build_landing_sensor
from scv_platform.automation.notifier import NOTIFIER_KEY, notifier_resource
from scv_platform.automation.policies import automation_sensor
from scv_platform.automation.schedules import daily_schedule, monitoring_schedule
from scv_platform.settings import Settings


class AutomationDefinitions(NamedTuple):
    """What :func:`build_automation` returns: pass each to ``dg.Definitions``."""

    jobs: list[dg.UnresolvedAssetJobDefinition]
    schedules: list[Any]
    sensors: list[dg.SensorDefinition]
    resources: dict[str, Any]


def build_automation(
    settings: Settings, partitions: dg.TimeWindowPartitionsDefinition
) -> AutomationDefinitions:
    daily, monitoring = daily_job(partitions), monitoring_job()
    return AutomationDefinitions(
        jobs=[full_build_job(partitions), daily, monitoring],
        schedules=[daily_schedule(daily), monitoring_schedule(monitoring, partitions)],
        sensors=[
            build_landing_sensor(daily, partitions, settings.operations.landing_settle_seconds),
            build_run_failure_sensor(),
            build_check_failure_sensor(),
            automation_sensor(),
        ],
        resources={NOTIFIER_KEY: notifier_resource(settings)},
    )
