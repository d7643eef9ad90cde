"""Jobs people launch from the UI, the schedules run and the sensors target."""

from __future__ import annotations

import dagster as dg

FULL_BUILD_JOB = "scv_full_build"
DAILY_JOB = "scv_daily"
MONITORING_JOB = "scv_monitoring"


def full_build_job(partitions: dg.PartitionsDefinition) -> dg.UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        FULL_BUILD_JOB,
        selection=dg.AssetSelection.all(),
        partitions_def=partitions,
        description=(
            "Every asset and check: reference data plus the selected day partitions. "
            "Launch it over a date range (a backfill) to rebuild history in one run."
        ),
    )


def daily_job(partitions: dg.PartitionsDefinition) -> dg.UnresolvedAssetJobDefinition:
    """One day: the day's partition of every daily asset (bronze files, daily facts) and every
    unpartitioned asset (reference data, silver, identity, gold) rebuilt over it, with checks."""
    return dg.define_asset_job(
        DAILY_JOB,
        selection=dg.AssetSelection.all(),
        partitions_def=partitions,
        description=(
            "The daily build for one day partition: that day's files and facts, plus the "
            "reference data, silver, identity and gold assets built on them, with their checks. "
            "Run by scv_daily_schedule at 02:00 UTC for the previous day and by the landing-zone "
            "sensor for the assets a new file feeds."
        ),
        tags={"scv/job": DAILY_JOB},
    )


def monitoring_job() -> dg.UnresolvedAssetJobDefinition:
    """Every asset check, nothing materialised: re-evaluates the data as it is now. Day-level
    checks judge the day in the run's ``dagster/partition`` tag (a checks-only job has no
    partitions of its own); the others judge the whole warehouse."""
    return dg.define_asset_job(
        MONITORING_JOB,
        selection=dg.AssetSelection.all_asset_checks(),
        description=(
            "Every asset check (bronze reconciliation, dbt tests, data-quality rules, identity "
            "quality gate) over the warehouse as it is; materialises nothing. Checks of daily "
            "facts and files judge the day named by the run tag dagster/partition (set it in "
            "the launchpad); the others judge everything. Run every 6 hours for the last "
            "complete day by "
            "scv_monitoring_schedule; failures are alerted by scv_check_failure_alerts."
        ),
        tags={"scv/job": MONITORING_JOB},
    )
