"""What a daily run (``scv run --from/--to``) builds: the day partitions of the daily sources
and everything downstream of them, plus the unpartitioned roots that changed since they were
last materialised, and what depends on those.

A reference source (CRM export, legacy workbook, product catalogue) has changed when a landing
file of it is not in the bronze manifest with the same content (the loader would load it); any
other root (a dbt seed, a view over an operational table) when its code version differs from
that of its latest materialisation. A root never materialised always runs. Everything else
downstream only of unchanged roots keeps its last build, as a full ``scv run`` would leave it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from scv_platform.sources.assets import bronze_key
from scv_platform.sources.landing import list_landing_files
from scv_platform.sources.promotion import CURRENT_MANIFEST_SQL, to_skip
from scv_platform.sources.specs import SOURCES, SourceSpec
from scv_platform.warehouse.gateway import WarehouseGateway
from scv_platform.warehouse.operational_tables import LOAD_MANIFEST

CODE_VERSION_TAG = "dagster/code_version"


@dataclass(frozen=True)
class DailyRunSelection:
    selection: dg.AssetSelection
    unchanged_roots: tuple[dg.AssetKey, ...]  # not rebuilt: nothing of theirs changed


def landing_changed(gateway: WarehouseGateway, spec: SourceSpec, landing_dir: Path) -> bool:
    """A file of ``spec`` is new or has other content than the manifest's current load."""
    files = list_landing_files(spec, landing_dir).files
    if not files:
        return False
    if not gateway.table_exists(*LOAD_MANIFEST.split(".")):
        return True
    previous = {
        file: (digest, status)
        for file, digest, status in gateway.execute(CURRENT_MANIFEST_SQL, {"source": spec.table})
    }
    digests = {f.relative: f.sha256() for f in files}
    return len(to_skip(files, digests, previous, force=False)) < len(files)


def code_changed(version: str | None, latest: dg.AssetMaterialization) -> bool:
    """The code version is unknown or not the one of the latest materialisation."""
    return version is None or latest.tags.get(CODE_VERSION_TAG) != version


def daily_run_selection(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    gateway: WarehouseGateway,
    landing_dir: Path,
) -> DailyRunSelection:
    graph = defs.resolve_asset_graph()
    materializable = set(graph.materializable_asset_keys)
    references = {bronze_key(spec): spec for spec in SOURCES if not spec.daily}
    roots = [
        key
        for key in graph.toposorted_asset_keys
        if key in materializable and not set(graph.get(key).parent_keys) & materializable
    ]
    daily = [key for key in roots if graph.get(key).partitions_def is not None]
    changed, unchanged = [], []
    for key in roots:
        if key in daily:
            continue
        spec = references.get(key)
        event = instance.get_latest_materialization_event(key)
        latest = event.asset_materialization if event is not None else None
        if latest is None:
            is_changed = True
        elif spec is not None:
            is_changed = landing_changed(gateway, spec, landing_dir)
        else:
            is_changed = code_changed(graph.get(key).code_version, latest)
        (changed if is_changed else unchanged).append(key)
    selection = dg.AssetSelection.assets(*daily, *changed).downstream()
    return DailyRunSelection(selection, tuple(unchanged))
