"""Landing-zone sensor: each newly complete landing file triggers a run of the assets it feeds.

- A new or changed reference file (CRM export, legacy workbook, product catalogue) requests its
  bronze asset and every unpartitioned asset downstream of it, without a partition.
- A new or changed daily file (orders, transactions, weather) requests that day's partition of
  its bronze asset and of everything downstream (unpartitioned assets are rebuilt in the run).
  Files of the same day (or all reference files) found in one tick share one run.

A file counts as complete once it was last modified at least ``settle_seconds`` ago and its
size and modification time did not change since the previous tick; until then it waits. Files
follow the contract (``sources/specs.py``, listed by ``sources/landing.py``); hidden or
misnamed files (``.part``, ``.tmp``) are never considered. The cursor records, per file,
``[size, mtime_ns, sha256 prefix]``, so a file is requested once; a re-delivery under the same
name with the same content only updates the cursor, new content is requested again. Daily files
wait for their day's partition (it exists once the day is over, UTC); files dated before the
history start are ignored. The cursor changes only when files do, so ticks stay small.

On its first tick (no cursor) the sensor takes what the instance already loaded as the
baseline: a file older than the last materialisation of its bronze asset (partition) is not
requested again, so turning the sensor on after ``scv run`` does not rebuild history.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import dagster as dg
from dagster._core.definitions.assets.graph.base_asset_graph import BaseAssetGraph
from dagster._core.events import DagsterEventType

from scv_platform.resources.landing_zone import LandingZoneResource
from scv_platform.sources.assets import bronze_key
from scv_platform.sources.landing import LandingFile, list_landing_files
from scv_platform.sources.specs import SOURCES, SourceSpec

LANDING_SENSOR = "scv_landing_zone_sensor"
SENSOR_INTERVAL_SECONDS = 30
SHA_PREFIX = 12
TRIGGER_TAG = "scv/trigger"

FileState = tuple[int, int, str]  # size, mtime_ns, sha256 prefix
Observation = tuple[int, int]  # size, mtime_ns
AlreadyLoaded = Callable[[SourceSpec, LandingFile, int], bool]


@dataclass
class LandingCursor:
    """What the sensor has seen: complete files with their content, and files still changing."""

    files: dict[str, FileState] = field(default_factory=dict)
    pending: dict[str, Observation] = field(default_factory=dict)

    @classmethod
    def from_json(cls, text: str | None) -> LandingCursor:
        if not text:
            return cls()
        raw = json.loads(text)
        return cls(
            files={k: (v[0], v[1], v[2]) for k, v in raw.get("files", {}).items()},
            pending={k: (v[0], v[1]) for k, v in raw.get("pending", {}).items()},
        )

    def to_json(self) -> str:
        return json.dumps(
            {"files": self.files, "pending": self.pending}, sort_keys=True, separators=(",", ":")
        )


@dataclass(frozen=True)
class NewFile:
    spec: SourceSpec
    file: LandingFile
    state: FileState

    @property
    def fingerprint(self) -> str:
        return f"{self.file.relative}:{self.state[0]}:{self.state[1]}:{self.state[2]}"


@dataclass
class Scan:
    cursor: LandingCursor
    new_files: list[NewFile] = field(default_factory=list)
    notes: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def scan_landing_zone(
    landing_zone: LandingZoneResource,
    previous: LandingCursor,
    partitions: dg.TimeWindowPartitionsDefinition,
    settle_seconds: float,
    now: float,
    already_loaded: AlreadyLoaded | None = None,
) -> Scan:
    """Compare the landing zone with the cursor: complete files that are new or changed."""
    scan = Scan(LandingCursor())
    first_key = partitions.get_first_partition_key()
    last_key = partitions.get_last_partition_key()
    for spec in SOURCES:
        for landed in list_landing_files(spec, landing_zone.path).files:
            try:
                stat = landed.path.stat()
            except FileNotFoundError:  # moved away while we looked
                continue
            observed: Observation = (stat.st_size, stat.st_mtime_ns)
            known = previous.files.get(landed.relative)
            if known and known[:2] == observed:
                scan.cursor.files[landed.relative] = known
                continue
            was_pending = previous.pending.get(landed.relative)
            settled = now - stat.st_mtime_ns / 1e9 >= settle_seconds
            if not settled or was_pending not in (None, observed):
                scan.cursor.pending[landed.relative] = observed
                scan.notes["still being written"] += 1
                continue
            day = landed.file_date.isoformat() if landed.file_date else None
            if day is not None and (last_key is None or day > last_key):
                scan.notes["waiting for their day's partition"] += 1
                continue
            sha = landed.sha256()[:SHA_PREFIX]
            state: FileState = (*observed, sha)
            scan.cursor.files[landed.relative] = state
            if day is not None and first_key is not None and day < first_key:
                scan.notes["dated before the history start"] += 1
            elif known and known[2] == sha:
                scan.notes["re-delivered with the same content"] += 1
            elif already_loaded and already_loaded(spec, landed, stat.st_mtime_ns):
                scan.notes["already loaded before the sensor started"] += 1
            else:
                scan.new_files.append(NewFile(spec, landed, state))
    return scan


def affected_keys(
    roots: Iterable[dg.AssetKey],
    asset_graph: BaseAssetGraph,
    partitions: dg.PartitionsDefinition,
    daily: bool,
) -> list[dg.AssetKey]:
    """The roots and everything downstream that a run for one day (or none) can build."""
    keys = dg.AssetSelection.assets(*roots).downstream().resolve(asset_graph)
    allowed = (None, partitions) if daily else (None,)
    return sorted(
        (
            k
            for k in keys
            if asset_graph.get(k).is_materializable and asset_graph.get(k).partitions_def in allowed
        ),
        key=lambda k: k.to_user_string(),
    )


def run_requests(
    new_files: list[NewFile],
    asset_graph: BaseAssetGraph,
    partitions: dg.PartitionsDefinition,
) -> list[dg.RunRequest]:
    """One run per day with new daily files, one for all new reference files."""
    groups: dict[str | None, list[NewFile]] = defaultdict(list)
    for new in new_files:
        groups[new.file.file_date.isoformat() if new.file.file_date else None].append(new)
    requests = []
    for day in sorted(groups, key=lambda d: d or ""):
        files = groups[day]
        roots = {bronze_key(f.spec) for f in files}
        digest = hashlib.sha256(
            "|".join(sorted(f.fingerprint for f in files)).encode()
        ).hexdigest()[:16]
        requests.append(
            dg.RunRequest(
                run_key=f"landing:{day or 'reference'}:{digest}",
                partition_key=day,
                asset_selection=affected_keys(
                    roots, asset_graph, partitions, daily=day is not None
                ),
                tags={TRIGGER_TAG: LANDING_SENSOR, "scv/landing_files": str(len(files))},
            )
        )
    return requests


def materialized_before(instance: dg.DagsterInstance) -> AlreadyLoaded:
    """Whether a file is older than the last materialisation of its bronze asset (partition)."""
    cache: dict[dg.AssetKey, dict[str | None, float]] = {}

    def last_materializations(spec: SourceSpec) -> dict[str | None, float]:
        key = bronze_key(spec)
        if key not in cache:
            if not spec.daily:
                event = instance.get_latest_materialization_event(key)
                cache[key] = {None: event.timestamp} if event else {}
            else:
                ids = instance.get_latest_storage_id_by_partition(
                    key, DagsterEventType.ASSET_MATERIALIZATION
                )
                records = (
                    instance.fetch_materializations(
                        dg.AssetRecordsFilter(asset_key=key, storage_ids=list(ids.values())),
                        limit=len(ids),
                    ).records
                    if ids
                    else []
                )
                cache[key] = {r.partition_key: r.timestamp for r in records}
        return cache[key]

    def already_loaded(spec: SourceSpec, landed: LandingFile, mtime_ns: int) -> bool:
        partition = landed.file_date.isoformat() if landed.file_date else None
        loaded_at = last_materializations(spec).get(partition)
        return loaded_at is not None and loaded_at >= mtime_ns / 1e9

    return already_loaded


def _skip_message(scan: Scan) -> str:
    waiting = ", ".join(f"{n} {reason}" for reason, n in sorted(scan.notes.items()))
    return "no new complete landing file" + (f" ({waiting})" if waiting else "")


def build_landing_sensor(
    job: dg.UnresolvedAssetJobDefinition,
    partitions: dg.TimeWindowPartitionsDefinition,
    settle_seconds: float,
) -> dg.SensorDefinition:
    @dg.sensor(
        name=LANDING_SENSOR,
        job=job,
        minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=(
            "New or changed landing files -> runs: a reference file (CRM export, legacy "
            "workbook, products) rebuilds its bronze asset and the unpartitioned assets built on "
            "it; a daily file (orders, transactions, weather) runs its day's partition. Files "
            f"must be unchanged for {settle_seconds:g} s (SCV_LANDING_SETTLE_SECONDS)."
        ),
    )
    def scv_landing_zone_sensor(
        context: dg.SensorEvaluationContext, landing_zone: LandingZoneResource
    ) -> dg.SensorResult:
        previous = LandingCursor.from_json(context.cursor)
        scan = scan_landing_zone(
            landing_zone,
            previous,
            partitions,
            settle_seconds,
            now=time.time(),
            already_loaded=None if context.cursor else materialized_before(context.instance),
        )
        for new in scan.new_files:
            context.log.info(f"new landing file {new.file.relative} ({new.state[0]} bytes)")
        requests = run_requests(scan.new_files, context.repository_def.asset_graph, partitions)
        cursor = scan.cursor.to_json()
        return dg.SensorResult(
            run_requests=requests,
            cursor=cursor if cursor != context.cursor else None,
            skip_reason=None if requests else dg.SkipReason(_skip_message(scan)),
        )

    return scv_landing_zone_sensor
