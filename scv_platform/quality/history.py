"""The history of every check evaluation in ``quality.check_results`` (contracts.md).

Python checks append their own rows (one per day they judged); dbt tests are read from the
events of the dbt invocation and appended once dbt has released the warehouse. Everything
goes through :func:`append_check_results`, the one engine-specific writer (DuckDB here; the
Snowflake gateway provides its own).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass, fields
from datetime import UTC, datetime

import dagster as dg
import pandas as pd

from scv_platform.warehouse.frames import FrameWrite
from scv_platform.warehouse.gateway import WarehouseGateway
from scv_platform.warehouse.operational_tables import CHECK_RESULTS, operational_ddl

MAX_DESCRIPTION = 2000


@dataclass(frozen=True)
class CheckRecord:
    """One row of quality.check_results, in its column order."""

    check_name: str
    asset_key: str
    partition_key: str | None
    passed: bool
    severity: str
    failed_rows: int | None
    description: str | None
    run_id: str | None
    evaluated_at: datetime


def utc_now() -> datetime:
    """Naive UTC, as the warehouse stores timestamps."""
    return datetime.now(UTC).replace(tzinfo=None)


CHECK_RESULT_COLUMNS = (
    ("check_name", "VARCHAR"),
    ("asset_key", "VARCHAR"),
    ("partition_key", "VARCHAR"),
    ("passed", "BOOLEAN"),
    ("severity", "VARCHAR"),
    ("failed_rows", "BIGINT"),
    ("description", "VARCHAR"),
    ("run_id", "VARCHAR"),
    ("evaluated_at", "TIMESTAMP"),
)


def append_check_results(gateway: WarehouseGateway, records: Sequence[CheckRecord]) -> None:
    """Append ``records`` to quality.check_results in one write (a range's hundreds of days)."""
    if not records:
        return
    for statement in operational_ddl():
        gateway.execute(statement)
    frame = pd.DataFrame(
        [astuple(r) for r in records], columns=[f.name for f in fields(CheckRecord)]
    ).astype({"failed_rows": "Int64"})
    schema, name = CHECK_RESULTS.split(".")
    gateway.write_frames([FrameWrite(schema, name, frame, CHECK_RESULT_COLUMNS, append=True)])


def run_partition_key(context: dg.AssetExecutionContext) -> str | None:
    """The run's partition (``YYYY-MM-DD``), its range (``A...B``) or None."""
    if context.has_partition_key:
        return context.partition_key
    if context.has_partition_key_range:
        keys = context.partition_key_range
        return keys.start if keys.start == keys.end else f"{keys.start}...{keys.end}"
    return None


def dbt_check_records(
    events: Iterable[object], run_id: str, partition_key: str | None
) -> list[CheckRecord]:
    """History rows of the dbt tests among a dbt invocation's Dagster events."""
    now = utc_now()
    records = []
    for event in events:
        if not isinstance(event, dg.AssetCheckResult | dg.AssetCheckEvaluation):
            continue
        failed = event.metadata.get("dagster_dbt/failed_row_count")
        failed_rows = int(failed.value) if failed is not None and failed.value is not None else None
        description = event.description or (
            f"{failed_rows} failing rows" if failed_rows is not None else None
        )
        records.append(
            CheckRecord(
                check_name=str(event.check_name),
                asset_key=dg.AssetKey.from_coercible(event.asset_key).to_user_string(),
                partition_key=partition_key,
                passed=bool(event.passed),
                severity=event.severity.value,
                failed_rows=failed_rows,
                description=(description or "")[:MAX_DESCRIPTION] or None,
                run_id=run_id,
                evaluated_at=now,
            )
        )
    return records


def record_result(
    gateway: WarehouseGateway,
    context: dg.AssetCheckExecutionContext,
    result: dg.AssetCheckResult,
) -> dg.AssetCheckResult:
    """Append the result of the (unpartitioned) check being evaluated to the history and
    return it unchanged. ``failed_rows`` comes from its ``failed_rows`` metadata, if any."""
    [spec] = context.check_specs
    failed = result.metadata.get("failed_rows")
    value = getattr(failed, "value", failed)
    record = CheckRecord(
        check_name=spec.name,
        asset_key=spec.asset_key.to_user_string(),
        partition_key=None,
        passed=result.passed,
        severity=result.severity.value,
        failed_rows=int(value) if value is not None else None,
        description=(result.description or "")[:MAX_DESCRIPTION] or None,
        run_id=context.run.run_id,
        evaluated_at=utc_now(),
    )
    append_check_results(gateway, [record])
    return result
