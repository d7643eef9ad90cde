"""Run assets in-process over every partition with data, in as few runs as possible.

A run that mixes partitioned and unpartitioned assets makes Dagster plan every unpartitioned
asset once per day in the range, so, like Dagster's own backfills, assets are grouped into
stages by dependency order and partitioning: the reference assets run once, the daily assets
run once over the whole range, and so on downstream. Each stage is one in-process run. A
single day is one run of everything, as the ``scv_daily`` job runs it: the day's partition
of the daily assets and the unpartitioned assets built over it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

import dagster as dg
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from scv_platform.resources.warehouse import WAREHOUSE_KEY
from scv_platform.runner.plan import RunPlan
from scv_platform.runner.summary import RunSummary, merge_summaries, summarise
from scv_platform.transform.assets import DBT_ASSET_NAMES
from scv_platform.warehouse.gateway import WarehouseGateway, open_gateway
from scv_platform.warehouse.operational_tables import QUARANTINE

QUARANTINED_IN_RUN_SQL = f"SELECT count(*) FROM {QUARANTINE} WHERE run_id = $run_id"
STAGE_JOB_PREFIX = "scv_run_stage"


@contextmanager
def definitions_gateway(defs: dg.Definitions) -> Iterator[WarehouseGateway]:
    """A gateway on the definitions' own warehouse resource (DuckDB or Snowflake)."""
    warehouse = {WAREHOUSE_KEY: defs.resources[WAREHOUSE_KEY]}
    with (
        dg.build_resources(warehouse) as resources,
        open_gateway(getattr(resources, WAREHOUSE_KEY)) as gateway,
    ):
        yield gateway


def quarantined_in_warehouse(defs: dg.Definitions, run_id: str) -> int:
    """Rows a run quarantined, counted through the definitions' own warehouse resource."""
    with definitions_gateway(defs) as gateway:
        if not gateway.table_exists("quality", "quarantine"):
            return 0
        return int(gateway.scalar(QUARANTINED_IN_RUN_SQL, {"run_id": run_id}))


@dataclass(frozen=True)
class Stage:
    number: int
    partitioned: bool
    keys: frozenset[dg.AssetKey]

    @property
    def job_name(self) -> str:
        kind = "daily" if self.partitioned else "unpartitioned"
        return f"{STAGE_JOB_PREFIX}_{self.number}_{kind}"


def blocking_check_names(defs: dg.Definitions) -> set[str]:
    graph = defs.resolve_asset_graph()
    return {
        f"{key.asset_key.to_user_string()}:{key.name}"
        for key in graph.asset_check_keys
        if graph.get_check_spec(key).blocking
    }


def dbt_test_checks(defs: dg.Definitions) -> frozenset[dg.AssetCheckKey]:
    """The asset checks that are dbt tests (those of the dbt multi-assets)."""
    return frozenset(
        key
        for assets_def in defs.resolve_asset_graph().assets_defs
        if assets_def.is_executable and assets_def.node_def.name in DBT_ASSET_NAMES
        for key in assets_def.check_keys
    )


def checks_to_run(
    defs: dg.Definitions, which: Literal["all", "dbt", "none"]
) -> frozenset[dg.AssetCheckKey] | None:
    """The checks a run keeps with its assets: ``None`` for all of them, else those listed
    (the dbt tests, or none)."""
    if which == "all":
        return None
    return dbt_test_checks(defs) if which == "dbt" else frozenset()


def built_from_daily_models(graph: dg.BaseAssetGraph) -> set[dg.AssetKey]:
    """Assets that need a partitioned model built from other assets (e.g. the daily facts):
    without any day partition to run they cannot be built, so a run without days skips them.
    (Daily sources are different: their bronze tables exist, empty, before any file lands.)"""
    derived_daily = [
        key
        for key in graph.materializable_asset_keys
        if graph.get(key).partitions_def is not None and graph.get(key).parent_keys
    ]
    if not derived_daily:
        return set()
    return set(dg.AssetSelection.assets(*derived_daily).downstream().resolve(graph))


def plan_stages(
    defs: dg.Definitions,
    selection: dg.AssetSelection | None,
    with_partitions: bool,
    single_day: bool = False,
) -> list[Stage]:
    """Group the selected assets into stages: a stage starts where partitioning changes;
    one stage of everything for a single day (``single_day``)."""
    graph = defs.resolve_asset_graph()
    keys = (selection or dg.AssetSelection.all()).resolve(graph) & set(
        graph.materializable_asset_keys
    )
    partitioned = {k: graph.get(k).partitions_def is not None for k in keys}
    if with_partitions and single_day and any(partitioned.values()):
        return [Stage(0, True, frozenset(keys))]
    if not with_partitions:
        keys = {k for k in keys if not partitioned[k]} - built_from_daily_models(graph)
    # Derived unpartitioned assets wait for the daily sources: a dbt test relating an early
    # model to one built from daily data would otherwise run before its second parent exists.
    daily_roots = any(partitioned[k] and not set(graph.get(k).parent_keys) & keys for k in keys)
    stage_of: dict[dg.AssetKey, int] = {}
    for key in graph.toposorted_asset_keys:
        if key not in keys:
            continue
        parents = [p for p in graph.get(key).parent_keys if p in keys]
        earliest = 1 if parents and daily_roots and not partitioned[key] else 0
        stage_of[key] = max(
            (stage_of[p] + (partitioned[p] != partitioned[key]) for p in parents),
            default=0,
        )
        stage_of[key] = max(stage_of[key], earliest)
    groups: dict[tuple[int, bool], set[dg.AssetKey]] = {}
    for key, number in stage_of.items():
        groups.setdefault((number, partitioned[key]), set()).add(key)
    return [
        Stage(number, is_partitioned, frozenset(members))
        for (number, is_partitioned), members in sorted(groups.items())
    ]


def stage_selection(
    stage: Stage, only_checks: frozenset[dg.AssetCheckKey] | None = None
) -> dg.AssetSelection:
    """The stage's assets with their checks (only those in ``only_checks`` when given)."""
    assets = dg.AssetSelection.assets(*stage.keys)
    if only_checks is None:
        return assets
    kept = [key for key in only_checks if key.asset_key in stage.keys]
    return assets.without_checks() | dg.AssetSelection.checks(*kept)


def stage_job(
    defs: dg.Definitions,
    stage: Stage,
    only_checks: frozenset[dg.AssetCheckKey] | None = None,
) -> dg.JobDefinition:
    """The stage's job, resolved against the definitions (its ops are the run's steps)."""
    job = dg.define_asset_job(stage.job_name, selection=stage_selection(stage, only_checks))
    return dg.Definitions.merge(defs, dg.Definitions(jobs=[job])).resolve_job_def(stage.job_name)


def run_stage(
    defs: dg.Definitions,
    stage: Stage,
    plan: RunPlan,
    instance: dg.DagsterInstance,
    log_level: str = "WARNING",
    only_checks: frozenset[dg.AssetCheckKey] | None = None,
) -> dg.ExecuteInProcessResult:
    tags: dict[str, str] = {"scv/trigger": "scv run", "scv/stage": stage.job_name}
    partition_range = plan.partition_range
    partition_key = None
    if stage.partitioned and partition_range is not None:
        if partition_range.start == partition_range.end:
            partition_key = partition_range.start  # also for the unpartitioned assets' run
        else:
            tags[ASSET_PARTITION_RANGE_START_TAG] = partition_range.start
            tags[ASSET_PARTITION_RANGE_END_TAG] = partition_range.end
    return stage_job(defs, stage, only_checks).execute_in_process(
        run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
        instance=instance,
        tags=tags,
        partition_key=partition_key,
        raise_on_error=False,
    )


def execute(
    defs: dg.Definitions,
    plan: RunPlan,
    instance: dg.DagsterInstance,
    quarantine_count: Callable[[str], int],
    selection: dg.AssetSelection | None = None,
    only_checks: frozenset[dg.AssetCheckKey] | None = None,
    log_level: str = "WARNING",
) -> RunSummary:
    """Run every stage in order (with only the checks in ``only_checks`` when given); stop
    at the first stage that fails."""
    blocking = blocking_check_names(defs)
    summaries: list[RunSummary] = []
    stages = plan_stages(
        defs, selection, with_partitions=plan.partition_range is not None, single_day=plan.days == 1
    )
    for stage in stages:
        started = time.perf_counter()
        result = run_stage(defs, stage, plan, instance, log_level, only_checks)
        summary = summarise(result, time.perf_counter() - started, blocking)
        summary.quarantined_rows = quarantine_count(result.run_id)
        summaries.append(summary)
        if summary.exit_code:
            break
    return merge_summaries(summaries)
