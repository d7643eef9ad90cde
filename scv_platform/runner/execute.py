"""Run assets in-process over every partition with data, in as few runs as possible."""

from __future__ import annotations

import time
from collections.abc import Callable

import dagster as dg
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from scv_platform.jobs import FULL_BUILD_JOB
from scv_platform.runner.plan import RunPlan
from scv_platform.runner.summary import RunSummary, summarise
from scv_platform.warehouse.operational_tables import QUARANTINE

QUARANTINED_IN_RUN_SQL = f"SELECT count(*) FROM {QUARANTINE} WHERE run_id = $run_id"
SELECTED_RUN_JOB = "scv_run_selection"


def blocking_check_names(defs: dg.Definitions) -> set[str]:
    graph = defs.resolve_asset_graph()
    return {
        f"{key.asset_key.to_user_string()}:{key.name}"
        for key in graph.asset_check_keys
        if graph.get_check_spec(key).blocking
    }


def _job_for(
    defs: dg.Definitions, selection: dg.AssetSelection | None, with_partitions: bool
) -> dg.JobDefinition:
    """The registered full-build job when everything runs, else an ad-hoc job of the selection."""
    if selection is None and with_partitions:
        return defs.resolve_job_def(FULL_BUILD_JOB)
    graph = defs.resolve_asset_graph()
    keys = (selection or dg.AssetSelection.all()).resolve(graph)
    if not with_partitions:
        keys = {k for k in keys if graph.get(k).partitions_def is None}
    job = dg.define_asset_job(SELECTED_RUN_JOB, selection=dg.AssetSelection.assets(*keys))
    return dg.Definitions.merge(defs, dg.Definitions(jobs=[job])).resolve_job_def(SELECTED_RUN_JOB)


def run_build(
    defs: dg.Definitions,
    plan: RunPlan,
    instance: dg.DagsterInstance,
    selection: dg.AssetSelection | None = None,
    log_level: str = "WARNING",
) -> dg.ExecuteInProcessResult:
    """One in-process run: unpartitioned assets plus the whole partition range."""
    tags: dict[str, str] = {"scv/trigger": "scv run"}
    partition_range = plan.partition_range
    if partition_range is not None:
        tags[ASSET_PARTITION_RANGE_START_TAG] = partition_range.start
        tags[ASSET_PARTITION_RANGE_END_TAG] = partition_range.end
    job = _job_for(defs, selection, with_partitions=partition_range is not None)
    return job.execute_in_process(
        run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
        instance=instance,
        tags=tags,
        raise_on_error=False,
    )


def execute(
    defs: dg.Definitions,
    plan: RunPlan,
    instance: dg.DagsterInstance,
    quarantine_count: Callable[[str], int],
    selection: dg.AssetSelection | None = None,
) -> RunSummary:
    started = time.perf_counter()
    result = run_build(defs, plan, instance, selection)
    summary = summarise(result, time.perf_counter() - started, blocking_check_names(defs))
    summary.quarantined_rows = quarantine_count(result.run_id)
    return summary
