"""Which partitions a headless run covers: every day from the history start to the last file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import dagster as dg

from scv_platform.settings import Settings
from scv_platform.sources.landing import last_day_with_data
from scv_platform.sources.specs import SOURCES


@dataclass(frozen=True)
class RunPlan:
    first_day: date | None
    last_day: date | None
    last_day_with_data: date | None
    note: str

    @property
    def partition_range(self) -> dg.PartitionKeyRange | None:
        if self.first_day is None or self.last_day is None:
            return None
        return dg.PartitionKeyRange(self.first_day.isoformat(), self.last_day.isoformat())

    @property
    def days(self) -> int:
        if self.first_day is None or self.last_day is None:
            return 0
        return (self.last_day - self.first_day).days + 1


def restrict(plan: RunPlan, start: date | None, end: date | None) -> RunPlan:
    """The plan limited to the days ``start`` .. ``end`` (inclusive, either optional)."""
    if plan.first_day is None or plan.last_day is None or (start is None and end is None):
        return plan
    first = max(plan.first_day, start) if start else plan.first_day
    last = min(plan.last_day, end) if end else plan.last_day
    if first > last:
        return RunPlan(
            None, None, plan.last_day_with_data,
            f"no day partition with data between {start or first} and {end or last}",
        )  # fmt: skip
    return RunPlan(first, last, plan.last_day_with_data, plan.note)


def plan_run(settings: Settings, partitions: dg.DailyPartitionsDefinition) -> RunPlan:
    last_data = last_day_with_data(SOURCES, settings.landing_dir)
    keys = partitions.get_partition_keys()
    if last_data is None:
        return RunPlan(None, None, None, "no daily files: only reference data is built")
    if not keys:
        return RunPlan(
            None, None, last_data, "no daily partition exists yet (history starts today)"
        )
    first_key, last_key = date.fromisoformat(keys[0]), date.fromisoformat(keys[-1])
    if last_data < first_key:
        return RunPlan(None, None, last_data, f"all daily files are before {first_key}")
    last = min(last_data, last_key)
    note = ""
    if last_data > last_key:
        note = (
            f"files dated after {last_key} wait for their day's partition "
            f"(the partition for a day exists once the day is over, UTC)"
        )
    return RunPlan(first_key, last, last_data, note)
