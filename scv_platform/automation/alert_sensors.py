"""Alert sensors: a failed run, and failed asset checks in any finished run.

A failing WARN check (or a non-blocking ERROR check) leaves its run green, so a run-failure
sensor never sees it. The check sensor follows the run-end events (success, failure,
cancellation) with a cursor of storage ids from the event log's index, which is global on every
storage (SQLite's event log is sharded per run, so storage ids of check evaluations are not
comparable across runs), then reads each finished run's check evaluations. Each run's failed
checks are alerted once, in one alert; the first tick only records where the log stands.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import dagster as dg
from dagster._core.events import DagsterEventType
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    PARTITION_NAME_TAG,
)

from scv_platform.automation.notifier import Alert, NotifierResource
from scv_platform.runner.summary import check_description, step_failure_messages

RUN_FAILURE_SENSOR = "scv_run_failure_alerts"
CHECK_FAILURE_SENSOR = "scv_check_failure_alerts"
RUN_END_EVENTS = (
    DagsterEventType.RUN_SUCCESS,
    DagsterEventType.RUN_FAILURE,
    DagsterEventType.RUN_CANCELED,
)
RUNS_PER_TICK = 50
EVENTS_PER_PAGE = 1000
MAX_DESCRIPTION = 300


def run_where(run: dg.DagsterRun) -> str:
    """Job, partition (or range) and code location of a run, in words."""
    parts = [f"job {run.job_name}"]
    partition = run.tags.get(PARTITION_NAME_TAG)
    start = run.tags.get(ASSET_PARTITION_RANGE_START_TAG)
    end = run.tags.get(ASSET_PARTITION_RANGE_END_TAG)
    if partition:
        parts.append(f"partition {partition}")
    elif start and end:
        parts.append(f"partitions {start}...{end}")
    origin = run.remote_job_origin
    parts.append(
        f"code location {origin.location_name}" if origin else "run in-process (scv run, a script)"
    )
    return ", ".join(parts)


def run_failure_alert(run: dg.DagsterRun, step_failures: Sequence[str], message: str) -> Alert:
    details = tuple(f"step {failure}" for failure in step_failures) or (message,)
    return Alert(
        kind="run_failure",
        title=f"Run of {run.job_name} failed"
        + (f": {len(step_failures)} step(s) failed" if step_failures else ""),
        where=run_where(run),
        run_id=run.run_id,
        details=details,
    )


def build_run_failure_sensor() -> dg.SensorDefinition:
    @dg.run_failure_sensor(
        name=RUN_FAILURE_SENSOR,
        monitor_all_code_locations=True,  # also in-process runs (scv run) on this instance
        default_status=dg.DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=30,
        description="Alerts (notifier resource) on every failed run: failed steps, causes, link.",
    )
    def scv_run_failure_alerts(
        context: dg.RunFailureSensorContext, notifier: NotifierResource
    ) -> None:
        run = context.dagster_run
        events = [
            record.event_log_entry.dagster_event
            for record in context.instance.get_records_for_run(
                run.run_id,
                of_type={DagsterEventType.STEP_FAILURE, DagsterEventType.STEP_UP_FOR_RETRY},
            ).records
            if record.event_log_entry.dagster_event is not None
        ]
        message = context.failure_event.message or "the run failed"
        notifier.send(run_failure_alert(run, step_failure_messages(events), message), context.log)

    return scv_run_failure_alerts


def failed_checks(instance: dg.DagsterInstance, run_id: str) -> list[dg.AssetCheckEvaluation]:
    """The run's failed check evaluations, the last per check and partition."""
    latest: dict[tuple, dg.AssetCheckEvaluation] = {}
    cursor: str | None = None
    while True:
        page = instance.get_records_for_run(
            run_id,
            cursor=cursor,
            of_type=DagsterEventType.ASSET_CHECK_EVALUATION,
            limit=EVENTS_PER_PAGE,
        )
        for record in page.records:
            event = record.event_log_entry.dagster_event
            if event is None:
                continue
            evaluation: dg.AssetCheckEvaluation = event.event_specific_data
            key = (evaluation.asset_key, evaluation.check_name, evaluation.partition)
            latest[key] = evaluation
        cursor = page.cursor
        if not page.has_more:
            break
    return [e for e in latest.values() if not e.passed]


def check_failure_alert(run: dg.DagsterRun, failed: Sequence[dg.AssetCheckEvaluation]) -> Alert:
    details = []
    for evaluation in failed:
        description = check_description(evaluation).replace("\n", " ")
        if len(description) > MAX_DESCRIPTION:
            description = description[: MAX_DESCRIPTION - 3] + "..."
        partition = f" [{evaluation.partition}]" if evaluation.partition else ""
        details.append(
            f"{evaluation.severity.value} {evaluation.check_name} on "
            f"{evaluation.asset_key.to_user_string()}{partition}: {description or 'failed'}"
        )
    errors = any(e.severity == dg.AssetCheckSeverity.ERROR for e in failed)
    return Alert(
        kind="check_failure",
        title=f"{len(failed)} asset check(s) failed in a run of {run.job_name} "
        f"({run.status.value.lower()})",
        where=run_where(run),
        run_id=run.run_id,
        severity="ERROR" if errors else "WARN",
        details=tuple(details),
    )


def _latest_run_end_ids(instance: dg.DagsterInstance) -> dict[str, int]:
    latest = {}
    for event_type in RUN_END_EVENTS:
        records = instance.fetch_run_status_changes(event_type, limit=1).records
        latest[event_type.value] = records[0].storage_id if records else -1
    return latest


def build_check_failure_sensor() -> dg.SensorDefinition:
    @dg.sensor(
        name=CHECK_FAILURE_SENSOR,
        default_status=dg.DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=30,
        description=(
            "Alerts (notifier resource) once per finished run with failed asset checks, WARN "
            "ones included (they leave the run green)."
        ),
    )
    def scv_check_failure_alerts(
        context: dg.SensorEvaluationContext, notifier: NotifierResource
    ) -> dg.SkipReason:
        instance = context.instance
        if context.cursor is None:
            context.update_cursor(json.dumps(_latest_run_end_ids(instance)))
            return dg.SkipReason("started: alerts on failed checks of runs that end from now on")
        cursor: dict[str, int] = json.loads(context.cursor)
        ended: list[tuple[int, str]] = []
        advanced = dict(cursor)
        for event_type in RUN_END_EVENTS:
            records = instance.fetch_run_status_changes(
                dg.RunStatusChangeRecordsFilter(
                    event_type=event_type, after_storage_id=cursor.get(event_type.value, -1)
                ),
                limit=RUNS_PER_TICK,
                ascending=True,
            ).records
            for record in records:
                ended.append((record.storage_id, record.event_log_entry.run_id))
                advanced[event_type.value] = record.storage_id
        alerts = 0
        for _, run_id in sorted(ended):
            run = instance.get_run_by_id(run_id)
            failed = failed_checks(instance, run_id) if run else []
            if run and failed:
                notifier.send(check_failure_alert(run, failed), context.log)
                alerts += 1
        if advanced != cursor:
            context.update_cursor(json.dumps(advanced))
        return dg.SkipReason(f"{len(ended)} finished run(s) read, {alerts} alert(s) sent")

    return scv_check_failure_alerts
