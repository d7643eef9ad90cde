"""Weather from the Marketplace share on the fakesnow server, and the fallback without it."""

from datetime import date
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from scv_platform.partitions import daily_partitions
from scv_platform.resources.landing_zone import LandingZoneResource
from scv_platform.resources.snowflake import snowflake_resource
from scv_platform.settings import load_settings
from scv_platform.sources.checks import build_bronze_checks
from scv_platform.sources.marketplace_weather import SHARE_CHECK, build_marketplace_weather_asset
from scv_platform.sources.specs import WEATHER
from scv_platform_tests.conftest import write_csv
from scv_platform_tests.snowflake_emulator import new_database_name

pytestmark = pytest.mark.snowflake

DAYS = ("2025-01-01", "2025-01-02")
WEATHER_COLUMNS = [c.name for c in WEATHER.columns]


def weather_row(postal_code: str, day: str, temperature: float) -> list[object]:
    return [
        postal_code,
        "US",
        day,
        temperature - 5,
        temperature,
        temperature + 5,
        0.1,
        0,
        70,
        5,
        40,
    ]


@pytest.fixture
def share_database(snowflake_env, monkeypatch) -> str:
    """A share database name of this test's own (created, or not, by the test)."""
    name = new_database_name()
    monkeypatch.setenv("SCV_WEATHER_SHARE_DATABASE", name)
    return name


@pytest.fixture
def defs(share_database: str, landing: Path) -> dg.Definitions:
    settings = load_settings()
    weather = build_marketplace_weather_asset(
        daily_partitions(date(2025, 1, 1)), "snowflake", settings.weather_share
    )
    return dg.Definitions(
        assets=[weather],
        asset_checks=build_bronze_checks(WEATHER),
        resources={
            "warehouse": snowflake_resource(settings),
            "landing_zone": LandingZoneResource(root=str(landing)),
        },
        jobs=[dg.define_asset_job("weather", selection=dg.AssetSelection.all())],
    )


def run(defs: dg.Definitions) -> dg.ExecuteInProcessResult:
    return defs.resolve_job_def("weather").execute_in_process(
        instance=dg.DagsterInstance.ephemeral(),
        tags={ASSET_PARTITION_RANGE_START_TAG: DAYS[0], ASSET_PARTITION_RANGE_END_TAG: DAYS[-1]},
    )


def create_share(emulator, database: str) -> None:
    """The OnPoint table as the Marketplace share exposes it (upper-case columns)."""
    rows = [weather_row(f"0{i}134", day, 40 + i) for day in (*DAYS, "2025-01-03") for i in range(3)]
    values = ", ".join(
        "(" + ", ".join(f"'{v}'" if isinstance(v, str) else str(v) for v in row) + ")"
        for row in rows
    )
    columns = ", ".join(
        f"{c.name} {'VARCHAR' if c.type.value == 'VARCHAR' else c.type.value}"
        for c in WEATHER.columns
    )
    connection = emulator.connect(database)
    try:
        cursor = connection.cursor()
        cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {database}.ONPOINT_ID")
        cursor.execute(f"CREATE TABLE {database}.ONPOINT_ID.FORECAST_DAY ({columns})")
        cursor.execute(f"INSERT INTO {database}.ONPOINT_ID.FORECAST_DAY VALUES {values}")
    finally:
        connection.close()


def evaluations(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def test_missing_share_falls_back_to_landing_files_then_the_share_replaces_them(
    defs, landing, share_database, snowflake_emulator, snowflake_env
):
    for day in DAYS:
        write_csv(
            landing / f"weather/forecast_day/forecast_day_{day}.csv",
            WEATHER_COLUMNS,
            [weather_row("02134", day, 30.0), weather_row("10001", day, 31.0)],
        )
    degraded = run(defs)
    assert degraded.success  # the pipeline does not fail for a missing share
    [*_, last] = degraded.asset_materializations_for_node("bronze__weather_forecast_day")
    metadata = {k: v.value for k, v in last.metadata.items()}
    assert metadata["degraded"] is True and metadata["weather_source"] == "landing_zone"
    assert share_database in metadata["degraded_reason"]
    assert metadata["rows_loaded"] == 4
    check = evaluations(degraded)[SHARE_CHECK]
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert "Degraded" in check.description
    assert evaluations(degraded)["weather_forecast_day_load_reconciliation"].passed

    create_share(snowflake_emulator, share_database)
    shared = run(defs)
    assert shared.success
    [*_, last] = shared.asset_materializations_for_node("bronze__weather_forecast_day")
    assert last.metadata["weather_source"].value == "marketplace_share"
    assert last.metadata["dagster/row_count"].value == 6  # 3 postal codes x 2 days, no more
    assert evaluations(shared)[SHARE_CHECK].passed
    assert evaluations(shared)["weather_forecast_day_load_reconciliation"].passed
    database = snowflake_env["SNOWFLAKE_DATABASE"]
    assert snowflake_emulator.query(
        database,
        "SELECT count(DISTINCT _source_file), count(*) FROM bronze.weather_forecast_day",
    ) == [(1, 6)]  # the landing rows of these days were replaced, not duplicated
    assert snowflake_emulator.query(
        database,
        "SELECT count(*) FROM bronze.load_manifest WHERE is_current AND source_file LIKE 'share:%'",
    ) == [(2,)]  # one manifest entry per day read from the share
