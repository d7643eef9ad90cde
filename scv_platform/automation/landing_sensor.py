"""Landing-zone sensor: each newly complete landing file triggers a run of the assets it feeds.

- A new or changed reference file (CRM export, legacy workbook, product catalogue) requests its
  bronze asset and every unpartitioned asset downstream of it, without a partition.
- A new or changed daily file (orders, transactions, weather) requests that day's partition of
  its bronze asset and of everything downstream (unpartitioned assets are rebuilt in the run).
  Files of the same day (or all reference files) found in one tick share one run.

A file counts as complete once it has not changed for ``settle_seconds`` (its modification and
status-change times are that old) and its size and times are the same as at the previous tick
if it was seen then; until then it waits. Only files that follow the contract
(``sources/specs.py``, listed by ``sources/landing.py``) are considered: hidden or misnamed
files (``.part``, ``.tmp``) never are. Daily files wait for their day's partition (it exists
once the day is over, UTC); files dated before the history start are ignored.

The cursor stays small, since Dagster stores it with every tick (every 30 seconds): a watermark
of arrival times (the latest status-change or modification time, ns, of a file already handled),
the files exactly at the watermark, and the files seen but not yet handled (still being written,
or waiting for their partition) with their size and times. A file is handled once; a file
delivered again (new content, or the same content copied in again) arrives later and runs again
(the bronze manifest makes identical content a no-op). The status-change time cannot be carried
over by a copy (``cp -p``, ``rsync -t`` keep only the modification time), so a file landed with
an old modification time is still new.

On its first tick (no cursor) the sensor takes what the instance already loaded as the
baseline: a file that arrived before the last materialisation of its bronze asset (partition)
is not requested, so turning the sensor on after ``scv run`` does not rebuild history.
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
TRIGGER_TAG = "scv/trigger"

Observation = tuple[int, int, int]  # size, mtime_ns, ctime_ns
AlreadyLoaded = Callable[[SourceSpec, LandingFile, int], bool]


def arrival_ns(observed: Observation) -> int:
    """When a file last arrived or changed: its latest modification or status-change time."""
    return max(observed[1], observed[2])


@dataclass
class LandingCursor:
    """Files handled up to ``watermark`` (plus ``at_watermark``), and files seen not yet handled."""

    watermark: int = -1
    at_watermark: list[str] = field(default_factory=list)
    pending: dict[str, Observation] = field(default_factory=dict)

    @classmethod
    def from_json(cls, text: str | None) -> LandingCursor:
        if not text:
            return cls()
        raw = json.loads(text)
        return cls(
            watermark=raw["watermark"],
            at_watermark=list(raw["at_watermark"]),
            pending={k: (v[0], v[1], v[2]) for k, v in raw["pending"].items()},
        )

    def to_json(self) -> str:
        state = {
            "watermark": self.watermark,
            "at_watermark": sorted(self.at_watermark),
            "pending": self.pending,
        }
        return json.dumps(state, sort_keys=True, separators=(",", ":"))

    def is_new(self, relative: str, observed: Observation) -> bool:
        arrival = arrival_ns(observed)
        return (
            relative in self.pending
            or arrival > self.watermark
            or (arrival == self.watermark and relative not in self.at_watermark)
        )


@dataclass(frozen=True)
class NewFile:
    spec: SourceSpec
    file: LandingFile
    observed: Observation

    @property
    def fingerprint(self) -> str:
        return f"{self.file.relative}:{':'.join(map(str, self.observed))}"


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
    """Compare the landing zone with the cursor: complete files that arrived since."""
    first_key = partitions.get_first_partition_key()
    last_key = partitions.get_last_partition_key()
    pending: dict[str, Observation] = {}
    handled: dict[str, int] = {}
    present: set[str] = set()
    scan = Scan(LandingCursor())
    for spec in SOURCES:
        for landed in list_landing_files(spec, landing_zone.path).files:
            try:
                stat = landed.path.stat()
            except FileNotFoundError:  # moved away while we looked
                continue
            present.add(landed.relative)
            observed: Observation = (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
            if not previous.is_new(landed.relative, observed):
                continue
            settled = now - arrival_ns(observed) / 1e9 >= settle_seconds
            if not settled or previous.pending.get(landed.relative) not in (None, observed):
                pending[landed.relative] = observed
                scan.notes["still being written"] += 1
                continue
            day = landed.file_date.isoformat() if landed.file_date else None
            if day is not None and (last_key is None or day > last_key):
                pending[landed.relative] = observed
                scan.notes["waiting for their day's partition"] += 1
                continue
            handled[landed.relative] = arrival_ns(observed)
            if day is not None and first_key is not None and day < first_key:
                scan.notes["dated before the history start"] += 1
            elif already_loaded and already_loaded(spec, landed, arrival_ns(observed)):
                scan.notes["already loaded before the sensor started"] += 1
            else:
                scan.new_files.append(NewFile(spec, landed, observed))
    watermark = max([previous.watermark, *handled.values()])
    at_watermark = {r for r, arrival in handled.items() if arrival == watermark}
    if watermark == previous.watermark:
        at_watermark |= set(previous.at_watermark) & present
    scan.cursor = LandingCursor(watermark, sorted(at_watermark), pending)
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
    """Whether a file arrived before the last materialisation of its bronze asset (partition)."""
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

    def already_loaded(spec: SourceSpec, landed: LandingFile, arrived_ns: int) -> bool:
        partition = landed.file_date.isoformat() if landed.file_date else None
        loaded_at = last_materializations(spec).get(partition)
        return loaded_at is not None and loaded_at >= arrived_ns / 1e9

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
            context.log.info(f"new landing file {new.file.relative} ({new.observed[0]} bytes)")
        requests = run_requests(scan.new_files, context.repository_def.asset_graph, partitions)
        cursor = scan.cursor.to_json()
        return dg.SensorResult(
            run_requests=requests,
            cursor=cursor if cursor != context.cursor else None,
            skip_reason=None if requests else dg.SkipReason(_skip_message(scan)),
        )

    return scv_landing_zone_sensor
