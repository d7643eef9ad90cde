"""The dbt assets: daily-partitioned incremental models and everything else, split in two."""

import json
import os
from datetime import date, timedelta
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets

from scv_platform.automation.retries import DBT_RETRY
from scv_platform.partitions import DAILY_TAG
from scv_platform.resources.warehouse import WAREHOUSE_KEY
from scv_platform.transform.row_counts import stream_with_row_counts
from scv_platform.transform.translator import ScvDbtTranslator
from scv_platform.warehouse.gateway import open_gateway
from scv_platform.warehouse.sql import checked_partition_key

# A dbt test runs once all its parents are selected or built upstream of the selection, so a
# test relating two models never runs before both exist (dagster-dbt still switches to
# explicit test selection, DBT_INDIRECT_SELECTION=empty, when only some checks are selected).
os.environ.setdefault("DBT_INDIRECT_SELECTION", "buildable")

DAILY_SELECT = f"tag:{DAILY_TAG}"
# dbt's unit tests check SQL logic on fixed inputs: the test suite runs them (bare dbt
# build), a run of the platform's data does not (as dbt advises for production)
BUILD = ["build", "--exclude-resource-type", "unit_test"]
DBT_MODELS, DBT_DAILY_MODELS = "scv_dbt_models", "scv_dbt_daily_models"
DBT_ASSET_NAMES = frozenset({DBT_MODELS, DBT_DAILY_MODELS})  # their checks are the dbt tests


def _has_daily_models(project: DbtProject) -> bool:
    manifest = json.loads(project.manifest_path.read_text())
    return any(
        DAILY_TAG in node.get("tags", [])
        for node in manifest["nodes"].values()
        if node["resource_type"] in {"model", "snapshot"}
    )


def partition_vars(context: dg.AssetExecutionContext) -> dict[str, Any]:
    """The run's day window as dbt vars (end exclusive), validated before it reaches SQL; none
    when the run has no partition (tests see all days). A checks-only run (scv_monitoring) has
    has no partitions definition: its day comes from the run's ``dagster/partition`` tag."""
    if not context.has_partition_key and not context.has_partition_key_range:
        return {}
    if context.job_def.partitions_def is None:
        start = date.fromisoformat(checked_partition_key(context.partition_key))
        end = start + timedelta(days=1)
    else:
        window = context.partition_time_window
        start, end = window.start.date(), window.end.date()
    return {
        "min_date": checked_partition_key(start.isoformat()),
        "max_date": checked_partition_key(end.isoformat()),
    }


def prepare_sources(warehouse: object) -> None:
    """Sources that never delivered a file still have their (empty) bronze table."""
    with open_gateway(warehouse) as gateway:
        gateway.ensure_bronze_tables()


def build_dbt_assets(
    project: DbtProject, partitions: dg.PartitionsDefinition, engine: str
) -> list[dg.AssetsDefinition]:
    translator = ScvDbtTranslator()
    daily = _has_daily_models(project)

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        exclude=DAILY_SELECT if daily else None,
        name=DBT_MODELS,
        dagster_dbt_translator=translator,
        retry_policy=DBT_RETRY,
        required_resource_keys={WAREHOUSE_KEY, "dbt"},
    )
    def scv_dbt_models(context: dg.AssetExecutionContext):
        """Unpartitioned dbt models (staging, identity, dimensions, marts) and their tests."""
        prepare_sources(context.resources.warehouse)
        dbt: DbtCliResource = context.resources.dbt
        invocation = dbt.cli(BUILD, context=context)
        yield from stream_with_row_counts(invocation, engine, context.resources.warehouse, context)

    if not daily:
        return [scv_dbt_models]

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        select=DAILY_SELECT,
        name=DBT_DAILY_MODELS,
        partitions_def=partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        dagster_dbt_translator=translator,
        retry_policy=DBT_RETRY,
        required_resource_keys={WAREHOUSE_KEY, "dbt"},
    )
    def scv_dbt_daily_models(context: dg.AssetExecutionContext):
        """Incremental facts for the run's day window (a range backfill is one dbt call)."""
        args = [*BUILD, "--vars", json.dumps(partition_vars(context))]
        dbt: DbtCliResource = context.resources.dbt
        invocation = dbt.cli(args, context=context)
        yield from stream_with_row_counts(invocation, engine, context.resources.warehouse, context)

    return [scv_dbt_models, scv_dbt_daily_models]
