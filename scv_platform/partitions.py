"""The one daily partitioning shared by every day-based asset (bronze, facts, checks)."""

from __future__ import annotations

from datetime import date
from functools import cache

import dagster as dg

# Every day-partitioned asset carries this tag (dbt models as a dbt tag), so
# `--select tag:daily_partitioned` picks exactly the assets a date-range backfill runs.
DAILY_TAG = "daily_partitioned"


@cache
def daily_partitions(start: date) -> dg.DailyPartitionsDefinition:
    """Days from ``start`` (``SCV_HISTORY_START``) to yesterday, UTC; keys are YYYY-MM-DD."""
    return dg.DailyPartitionsDefinition(start_date=start.isoformat(), timezone="UTC")
