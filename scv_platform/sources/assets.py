"""Bronze assets: one per landing entity, daily-partitioned where files are daily."""

from collections.abc import Mapping
from datetime import date
from typing import Any

import dagster as dg

from scv_platform.automation.retries import BRONZE_RETRY
from scv_platform.partitions import DAILY_TAG
from scv_platform.resources.landing_zone import LandingZoneResource
from scv_platform.resources.warehouse import WAREHOUSE_KEY
from scv_platform.sources.landing import list_landing_files
from scv_platform.sources.promotion import METADATA_COLUMNS, FileLoadResult, bronze_table
from scv_platform.sources.specs import SOURCES, SourceSpec
from scv_platform.warehouse.gateway import WarehouseGateway, open_gateway

BRONZE_GROUP = "bronze"
MAX_FILES_IN_METADATA = 40


class BronzeLoadConfig(dg.Config):
    """Options a data engineer can set when materialising a bronze asset from the UI."""

    force_reload: bool = False
    """Load files again even when the manifest shows the same content was already loaded."""


def bronze_key(spec: SourceSpec) -> dg.AssetKey:
    return dg.AssetKey(["bronze", spec.table])


def column_schema(spec: SourceSpec) -> dg.TableSchema:
    columns = [
        dg.TableColumn(
            c.name,
            c.type.value.lower(),
            description=c.description or None,
            constraints=dg.TableColumnConstraints(nullable=not c.required),
        )
        for c in spec.columns
    ]
    columns += [
        dg.TableColumn(name, sql_type.split()[0].lower()) for name, sql_type in METADATA_COLUMNS
    ]
    return dg.TableSchema(columns=columns)


def day_window(
    context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext,
) -> tuple[date | None, date | None]:
    """The [start, end) days of the run's partition (range), or (None, None) if unpartitioned."""
    if not context.has_partition_key_range and not context.has_partition_key:
        return None, None
    window = context.partition_time_window
    return window.start.date(), window.end.date()


def _file_table(results: list[FileLoadResult]) -> str:
    lines = ["| file | status | read | loaded | quarantined | note |", "|---|---|---|---|---|---|"]
    for r in results[:MAX_FILES_IN_METADATA]:
        note = (r.message or "").replace("|", "/")
        lines.append(
            f"| {r.source_file} | {r.status} | {r.rows_read} | {r.rows_loaded} | "
            f"{r.rows_quarantined} | {note} |"
        )
    if len(results) > MAX_FILES_IN_METADATA:
        lines.append(f"| ... {len(results) - MAX_FILES_IN_METADATA} more files | | | | | |")
    return "\n".join(lines)


def bronze_asset_args(
    spec: SourceSpec, partitions_def: dg.PartitionsDefinition, engine: str
) -> dict[str, Any]:
    """The ``@dg.asset`` arguments of a bronze asset (key, group, kinds, partitions, ...)."""
    return {
        "key": bronze_key(spec),
        "group_name": BRONZE_GROUP,
        "description": (
            f"{spec.description}\n\nLanding files: `{spec.folder}/` matching "
            f"`{spec.file_pattern}`. Each row keeps its source file, row, batch id and load "
            "time; rows that do not parse go to `quality.quarantine`."
        ),
        "kinds": {"python", engine},
        "partitions_def": partitions_def if spec.daily else None,
        "backfill_policy": dg.BackfillPolicy.single_run() if spec.daily else None,
        "required_resource_keys": {WAREHOUSE_KEY, "landing_zone"},
        "metadata": {
            "dagster/column_schema": column_schema(spec),
            "dagster/table_name": bronze_table(spec),
            "landing_folder": spec.folder,
        },
        "retry_policy": BRONZE_RETRY,
        "tags": {DAILY_TAG: ""} if spec.daily else None,
    }


def row_count(
    gateway: WarehouseGateway, spec: SourceSpec, start: date | None, end: date | None
) -> int:
    """Rows of the bronze table, within the run's days for a daily source."""
    if not spec.daily:
        return gateway.scalar(f"SELECT count(*) FROM {bronze_table(spec)}")
    window = "_file_date >= $start AND _file_date < $end"
    sql = f"SELECT count(*) FROM {bronze_table(spec)} WHERE {window}"
    return gateway.scalar(sql, {"start": start, "end": end})


def load_landing_files(
    context: dg.AssetExecutionContext,
    spec: SourceSpec,
    gateway: WarehouseGateway,
    force_reload: bool,
) -> dict[str, Any]:
    """Load the run's landing files of ``spec``; the materialisation metadata."""
    landing_zone: LandingZoneResource = context.resources.landing_zone
    start, end = day_window(context)
    listing = list_landing_files(spec, landing_zone.path, start, end)
    if not listing.exists:
        context.log.warning(f"landing folder {listing.folder} is absent: nothing to load")
    results = gateway.load_files(spec, listing.files, context.run_id, force_reload)
    for r in results:
        if r.status == "rejected":
            context.log.error(r.message or r.source_file)
        elif r.rows_quarantined:
            context.log.warning(f"{r.source_file}: {r.message}")
    for name in listing.ignored:
        context.log.warning(f"{spec.folder}/{name} does not follow the contract's file name")
    by_status = {
        s: [r for r in results if r.status == s] for s in ("loaded", "skipped", "rejected")
    }
    return {
        "dagster/row_count": row_count(gateway, spec, start, end),
        "landing_folder_present": listing.exists,
        "files_found": len(listing.files),
        "files_loaded": len(by_status["loaded"]),
        "files_skipped_already_loaded": len(by_status["skipped"]),
        "files_rejected": len(by_status["rejected"]),
        "rows_read": sum(r.rows_read for r in results),
        "rows_loaded": sum(r.rows_loaded for r in results),
        "rows_quarantined": sum(r.rows_quarantined for r in results),
        "files": dg.MetadataValue.md(_file_table(results)) if results else "no files",
        "files_ignored": ", ".join(listing.ignored) or "none",
    }


def build_bronze_asset(
    spec: SourceSpec, partitions_def: dg.PartitionsDefinition, engine: str
) -> dg.AssetsDefinition:
    @dg.asset(**bronze_asset_args(spec, partitions_def, engine))
    def bronze_asset(
        context: dg.AssetExecutionContext,
        config: BronzeLoadConfig,
    ) -> dg.MaterializeResult:
        with open_gateway(getattr(context.resources, WAREHOUSE_KEY)) as gateway:
            metadata = load_landing_files(context, spec, gateway, config.force_reload)
        return dg.MaterializeResult(metadata=metadata)

    return bronze_asset


def build_bronze_assets(
    partitions_def: dg.PartitionsDefinition,
    engine: str,
    overrides: Mapping[str, dg.AssetsDefinition] | None = None,
) -> list[dg.AssetsDefinition]:
    """One asset per source; ``overrides`` replaces a source's asset (by bronze table)."""
    overrides = overrides or {}
    return [
        overrides.get(spec.table) or build_bronze_asset(spec, partitions_def, engine)
        for spec in SOURCES
    ]
