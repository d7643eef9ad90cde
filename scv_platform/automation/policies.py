"""Freshness policies and automation conditions, keyed on the layer of an asset.

- Every gold asset carries :func:`daily_freshness_policy`: the 02:00 daily build refreshes it,
  so it warns past 25 hours and fails past 26 hours without a new materialisation. The dbt
  translator applies it to every gold model; Python gold assets (the crosswalk, churn
  predictions) pass ``freshness_policy=daily_freshness_policy()`` themselves.
- Gold models that are not day-partitioned update declaratively (:func:`gold_automation_condition`):
  dimensions (``dim_*``, reference data) once a day on the daily cron, after all their inputs
  were refreshed; marts ``eager``ly, as soon as a fact or other input they read has updated
  (after a backfill of the facts, say). Day partitions themselves come from the daily
  schedule, the landing-zone sensor and backfills, never from automation.
"""

from __future__ import annotations

from datetime import timedelta

import dagster as dg

from scv_platform.automation.schedules import DAILY_CRON

GOLD_LAYER = "gold"
FRESHNESS_WARN_AFTER = timedelta(hours=25)
FRESHNESS_FAIL_AFTER = timedelta(hours=26)
DIMENSION_PREFIX = "dim_"
AUTOMATION_SENSOR = "scv_automation"


def daily_freshness_policy() -> dg.FreshnessPolicy:
    """Fresh when materialised within 25 hours; WARN up to 26 hours, FAIL beyond."""
    return dg.FreshnessPolicy.time_window(
        fail_window=FRESHNESS_FAIL_AFTER, warn_window=FRESHNESS_WARN_AFTER
    )


def gold_automation_condition(name: str, daily_partitioned: bool) -> dg.AutomationCondition | None:
    """How a gold model updates by itself: none for daily facts, on the daily cron for
    dimensions, eager for marts."""
    if daily_partitioned:
        return None
    if name.startswith(DIMENSION_PREFIX):
        return dg.AutomationCondition.on_cron(DAILY_CRON, "UTC")
    return dg.AutomationCondition.eager()


def automation_sensor() -> dg.AutomationConditionSensorDefinition:
    """Evaluates every asset's automation condition every 30 seconds; on by default."""
    return dg.AutomationConditionSensorDefinition(
        AUTOMATION_SENSOR,
        target=dg.AssetSelection.all(),
        default_status=dg.DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=30,
        description=(
            "Declarative automation: gold marts rebuild once their facts update, gold "
            "dimensions once a day after the 02:00 build."
        ),
    )
