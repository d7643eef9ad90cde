"""Run every asset in-process over every partition with data, in as few runs as possible."""

from __future__ import annotations

import time

import dagster as dg
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from scv_platform.jobs import FULL_BUILD_JOB
from scv_platform.runner.plan import RunPlan
from scv_platform.runner.summary import RunSummary, summarise
from scv_platform.warehouse.operational_tables import QUARANTINE


def blocking_check_names(defs: dg.Definitions) -> set[str]:
    graph = defs.resolve_asset_graph()
    names = set()
    for key in graph.asset_check_keys:
        spec = graph.get_check_spec(key)
        if spec.blocking:
            names.add(f"{key.asset_key.to_user_string()}:{key.name}")
    return names


def run_full_build(
    defs: dg.Definitions, plan: RunPlan, instance: dg.DagsterInstance, log_level: str = "WARNING"
) -> dg.ExecuteInProcessResult:
    """One in-process run: unpartitioned assets plus the whole partition range."""
    job = defs.resolve_job_def(FULL_BUILD_JOB)
    tags: dict[str, str] = {"scv/trigger": "scv run"}
    run_config = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    partition_range = plan.partition_range
    if partition_range is not None:
        tags[ASSET_PARTITION_RANGE_START_TAG] = partition_range.start
        tags[ASSET_PARTITION_RANGE_END_TAG] = partition_range.end
        return job.execute_in_process(
            run_config=run_config, instance=instance, tags=tags, raise_on_error=False
        )
    selection = dg.AssetSelection.all() - dg.AssetSelection.assets(
        *[k for k, a in _partitioned(defs).items() if a]
    )
    unpartitioned_job = dg.define_asset_job("scv_reference_only", selection=selection)
    merged = dg.Definitions.merge(defs, dg.Definitions(jobs=[unpartitioned_job]))
    return merged.resolve_job_def("scv_reference_only").execute_in_process(
        run_config=run_config, instance=instance, tags=tags, raise_on_error=False
    )


def _partitioned(defs: dg.Definitions) -> dict[dg.AssetKey, bool]:
    graph = defs.resolve_asset_graph()
    return {
        key: graph.get(key).partitions_def is not None for key in graph.materializable_asset_keys
    }


def execute(
    defs: dg.Definitions, plan: RunPlan, instance: dg.DagsterInstance, quarantine_count
) -> RunSummary:
    started = time.perf_counter()
    result = run_full_build(defs, plan, instance)
    summary = summarise(result, time.perf_counter() - started, blocking_check_names(defs))
    summary.quarantined_rows = quarantine_count(result.run_id)
    return summary


QUARANTINED_IN_RUN_SQL = f"SELECT count(*) FROM {QUARANTINE} WHERE run_id = $run_id"
