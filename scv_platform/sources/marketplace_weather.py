"""Weather in production: Weather Source OnPoint ``FORECAST_DAY`` from the Marketplace share.

The ``bronze/weather_forecast_day`` asset on Snowflake reads the run's days from the share
(database and schema from ``SCV_WEATHER_SHARE_DATABASE`` / ``_SCHEMA``) into the same bronze
table the landing files fill, one manifest entry and batch per day, so reconciliation and
dbt work unchanged. The share is read again on every run of a day (forecasts are revised).

When the share is not accessible ("does not exist or not authorized": not subscribed, not
granted, renamed), the asset loads the landing-zone weather files instead, marks its
metadata as degraded with the reason, and its ``weather_marketplace_share`` check warns; the
run goes on.
"""

import uuid
from datetime import UTC, date, datetime
from typing import Any

import dagster as dg

from scv_platform.resources.warehouse import WAREHOUSE_KEY
from scv_platform.settings import WeatherShareSettings
from scv_platform.sources.assets import (
    BronzeLoadConfig,
    bronze_asset_args,
    bronze_key,
    day_window,
    load_landing_files,
    row_count,
)
from scv_platform.sources.promotion import LOAD_CHECK_NAME, METADATA_COLUMNS, bronze_table
from scv_platform.sources.specs import WEATHER
from scv_platform.warehouse.gateway import WarehouseGateway, open_gateway
from scv_platform.warehouse.operational_tables import LOAD_MANIFEST, QUARANTINE
from scv_platform.warehouse.sql import checked_identifier, string_literal

SHARE_CHECK = "weather_marketplace_share"
SHARE_SOURCE_PREFIX = "share:"
_NOT_ACCESSIBLE = "does not exist or not authorized"
_WINDOW = "_file_date >= $start AND _file_date < $end"


def share_relation(share: WeatherShareSettings) -> str:
    return ".".join(checked_identifier(p) for p in (share.database, share.schema, share.table))


def share_not_accessible(error: Exception, share: WeatherShareSettings) -> bool:
    """Snowflake's "does not exist or not authorized" for the share, not any other failure."""
    message = str(error)
    if _NOT_ACCESSIBLE in message.lower():
        return True
    names = (share.database.upper(), share_relation(share).upper())
    return getattr(error, "errno", None) == 2003 and any(n in message.upper() for n in names)


def _retire_window(
    gateway: WarehouseGateway, start: date, end: date, now: datetime, why: str
) -> None:
    """Rows of the days from any earlier load leave bronze; their manifest entries stop being
    current and their quarantine entries are released."""
    params = {"start": start, "end": end}
    gateway.execute(f"DELETE FROM {bronze_table(WEATHER)} WHERE {_WINDOW}", params)
    gateway.execute(
        f"UPDATE {LOAD_MANIFEST} SET is_current = false WHERE source = $source "
        "AND file_date >= $start AND file_date < $end",
        {**params, "source": WEATHER.table},
    )
    gateway.execute(
        f"UPDATE {QUARANTINE} SET released_at = $now, release_reason = $why "
        "WHERE source = $source AND released_at IS NULL "
        f"AND check_name = {string_literal(LOAD_CHECK_NAME)} "
        "AND partition_key >= $first AND partition_key < $last",
        {
            "now": now,
            "why": why,
            "source": WEATHER.table,
            "first": start.isoformat(),
            "last": end.isoformat(),
        },
    )


def load_from_share(
    gateway: WarehouseGateway,
    share: WeatherShareSettings,
    start: date,
    end: date,
    run_id: str | None,
) -> int:
    """Replace the days ``start <= day < end`` of bronze weather by the share's rows."""
    relation = share_relation(share)
    window = {"start": start, "end": end}
    share_window = "date_valid_std >= $start AND date_valid_std < $end"
    rows = gateway.scalar(f"SELECT count(*) FROM {relation} WHERE {share_window}", window)
    loaded_at = datetime.now(UTC).replace(tzinfo=None)
    batch = uuid.uuid4().hex
    source_file = f"{SHARE_SOURCE_PREFIX}{relation}"
    columns = [c.name for c in WEATHER.columns]
    typed = [f"CAST({c.name} AS {c.type.value})" for c in WEATHER.columns]
    metadata = [name for name, _ in METADATA_COLUMNS]
    day_text = "CAST(date_valid_std AS VARCHAR)"
    params = {**window, "file": source_file, "batch": batch, "loaded_at": loaded_at}
    gateway.execute("BEGIN")
    try:
        _retire_window(gateway, start, end, loaded_at, "superseded: read from the share")
        gateway.execute(
            f"INSERT INTO {bronze_table(WEATHER)} ({', '.join(columns + metadata)}) "
            f"SELECT {', '.join(typed)}, NULL, $file, NULL, date_valid_std, "
            f"$batch || ':' || {day_text}, $loaded_at FROM {relation} WHERE {share_window}",
            params,
        )
        gateway.execute(
            f"INSERT INTO {LOAD_MANIFEST} "
            "SELECT $source, _source_file || '/' || CAST(_file_date AS VARCHAR), _file_date, 0, "
            "sha2(_batch_id || ':' || CAST(count(*) AS VARCHAR), 256), 'loaded', count(*), "
            "count(*), 0, NULL, 'read from the Marketplace share', _batch_id, $run_id, "
            f"$loaded_at, true FROM {bronze_table(WEATHER)} WHERE _source_file = $file "
            f"AND {_WINDOW} GROUP BY _source_file, _file_date, _batch_id",
            {**params, "source": WEATHER.table, "run_id": run_id},
        )
        gateway.execute("COMMIT")
    except BaseException:
        gateway.execute("ROLLBACK")
        raise
    return int(rows)


def retire_share_rows(gateway: WarehouseGateway, start: date, end: date) -> None:
    """Before a fallback to the landing files: share rows of the days leave bronze."""
    gateway.execute(
        f"DELETE FROM {bronze_table(WEATHER)} WHERE {_WINDOW} AND _source_file LIKE $prefix",
        {"start": start, "end": end, "prefix": f"{SHARE_SOURCE_PREFIX}%"},
    )
    gateway.execute(
        f"UPDATE {LOAD_MANIFEST} SET is_current = false WHERE source = $source "
        "AND file_date >= $start AND file_date < $end AND source_file LIKE $prefix",
        {"start": start, "end": end, "source": WEATHER.table, "prefix": f"{SHARE_SOURCE_PREFIX}%"},
    )


def build_marketplace_weather_asset(
    partitions_def: dg.PartitionsDefinition, engine: str, share: WeatherShareSettings
) -> dg.AssetsDefinition:
    """``bronze/weather_forecast_day`` read from the share, landing files as the fallback."""
    args = bronze_asset_args(WEATHER, partitions_def, engine)
    relation = share_relation(share)
    args["description"] = (
        f"Weather Source OnPoint FORECAST_DAY read from the Marketplace share `{relation}` "
        "for the run's days; when the share is not accessible, the landing-zone files "
        f"(`{WEATHER.folder}/`) are loaded instead and the `{SHARE_CHECK}` check warns."
    )
    args["metadata"] = {**args["metadata"], "marketplace_share": relation}
    args["check_specs"] = [
        dg.AssetCheckSpec(
            SHARE_CHECK,
            asset=bronze_key(WEATHER),
            description=(
                "Warns when the Marketplace share could not be read and the weather came "
                "from the landing-zone files instead (degraded)."
            ),
        )
    ]

    @dg.asset(**args)
    def weather_forecast_day(
        context: dg.AssetExecutionContext, config: BronzeLoadConfig
    ) -> dg.MaterializeResult:
        start, end = day_window(context)
        assert start is not None and end is not None  # a daily asset always has a window
        with open_gateway(getattr(context.resources, WAREHOUSE_KEY)) as gateway:
            gateway.ensure_bronze_tables()
            try:
                rows = load_from_share(gateway, share, start, end, context.run_id)
            except Exception as exc:
                if not share_not_accessible(exc, share):
                    raise
                reason = str(exc).strip().splitlines()[-1].strip() or type(exc).__name__
                return _fallback(context, gateway, config, start, end, relation, reason)
            metadata: dict[str, Any] = {
                "dagster/row_count": row_count(gateway, WEATHER, start, end),
                "weather_source": "marketplace_share",
                "degraded": False,
                "rows_loaded": rows,
            }
        return dg.MaterializeResult(
            metadata=metadata,
            check_results=[
                dg.AssetCheckResult(
                    check_name=SHARE_CHECK,
                    passed=True,
                    severity=dg.AssetCheckSeverity.WARN,
                    description=f"Read {rows} rows from the Marketplace share {relation}.",
                )
            ],
        )

    return weather_forecast_day


def _fallback(
    context: dg.AssetExecutionContext,
    gateway: WarehouseGateway,
    config: BronzeLoadConfig,
    start: date,
    end: date,
    relation: str,
    reason: str,
) -> dg.MaterializeResult:
    description = (
        f"Degraded: the Marketplace share {relation} is not accessible ({reason}); the weather "
        "of these days was loaded from the landing-zone files. Check the share subscription "
        "and the grant of IMPORTED PRIVILEGES on its database to the platform's role."
    )
    context.log.warning(description)
    retire_share_rows(gateway, start, end)
    metadata = load_landing_files(context, WEATHER, gateway, config.force_reload)
    metadata |= {"weather_source": "landing_zone", "degraded": True, "degraded_reason": reason}
    return dg.MaterializeResult(
        metadata=metadata,
        check_results=[
            dg.AssetCheckResult(
                check_name=SHARE_CHECK,
                passed=False,
                severity=dg.AssetCheckSeverity.WARN,
                description=description,
                metadata={"share": relation, "reason": reason},
            )
        ],
    )
