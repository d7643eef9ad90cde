"""The days a check judges: the run's partition window, or all history when unpartitioned."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import dagster as dg

from scv_platform.warehouse.sql import checked_partition_key

# Bounds of "all history" (the dbt project's default partition vars).
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)


@dataclass(frozen=True)
class CheckWindow:
    """Days ``start <= day < end``; ``partition_key`` names it in the check history."""

    start: date
    end: date

    @property
    def is_all_history(self) -> bool:
        return self.start == FIRST_DAY and self.end == LAST_DAY

    @property
    def is_single_day(self) -> bool:
        return self.end - self.start == timedelta(days=1)

    @property
    def partition_key(self) -> str | None:
        """The day (``YYYY-MM-DD``), a range (``A...B``, Dagster's syntax) or None for all."""
        if self.is_all_history:
            return None
        first = checked_partition_key(self.start.isoformat())
        if self.is_single_day:
            return first
        return f"{first}...{checked_partition_key((self.end - timedelta(days=1)).isoformat())}"

    @property
    def label(self) -> str:
        return self.partition_key or "all history"

    def reference_start(self, days_before: int) -> date:
        """First day of the statistics' reference: ``days_before`` days before the window."""
        return FIRST_DAY if self.is_all_history else self.start - timedelta(days=days_before)

    def params(self, days_before: int | None = None) -> dict[str, date]:
        """SQL parameters $start and $end, and $ref_start when ``days_before`` is given."""
        params = {"start": self.start, "end": self.end}
        if days_before is not None:
            params["ref_start"] = self.reference_start(days_before)
        return params


ALL_HISTORY = CheckWindow(FIRST_DAY, LAST_DAY)


def check_window(
    context: dg.AssetCheckExecutionContext | dg.AssetExecutionContext,
) -> CheckWindow:
    """The run's partition (range) as a window; all history when the run has no partition or
    the check is unpartitioned (a partitioned run may evaluate unpartitioned checks too)."""
    specs = getattr(context, "check_specs", [])
    if any(spec.partitions_def is None for spec in specs):
        return ALL_HISTORY
    if not (context.has_partition_key or context.has_partition_key_range):
        return ALL_HISTORY
    window = context.partition_time_window
    return CheckWindow(window.start.date(), window.end.date())
