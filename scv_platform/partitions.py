"""The one daily partitioning shared by every day-based asset (bronze, facts, checks)."""

from __future__ import annotations

from datetime import date
from functools import cache

import dagster as dg


@cache
def daily_partitions(start: date) -> dg.DailyPartitionsDefinition:
    """Days from ``start`` (``SCV_HISTORY_START``) to yesterday, UTC; keys are YYYY-MM-DD."""
    return dg.DailyPartitionsDefinition(start_date=start.isoformat(), timezone="UTC")
