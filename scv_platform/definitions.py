"""The one Dagster ``Definitions`` of the platform, assembled from each capability."""

from __future__ import annotations

import warnings

import dagster as dg

from scv_platform.automation.build import build_automation
from scv_platform.identity import build_identity_assets
from scv_platform.ml import build_churn_assets
from scv_platform.partitions import daily_partitions
from scv_platform.quality import build_quality_definitions
from scv_platform.resources.build import build_resources
from scv_platform.resources.warehouse import engine_kind
from scv_platform.settings import Settings, load_settings
from scv_platform.sources.assets import build_bronze_assets
from scv_platform.sources.checks import build_all_bronze_checks
from scv_platform.sources.marketplace_weather import build_marketplace_weather_asset
from scv_platform.sources.specs import WEATHER
from scv_platform.transform.assets import build_dbt_assets
from scv_platform.transform.project import ensure_manifest, scv_dbt_project

# Partition-aware asset checks (preview) and backfill policies (beta) are relied on knowingly.
warnings.filterwarnings("ignore", category=dg.PreviewWarning)
warnings.filterwarnings("ignore", category=dg.BetaWarning)


def build_definitions(settings: Settings | None = None) -> dg.Definitions:
    settings = settings or load_settings()
    partitions = daily_partitions(settings.history_start)
    engine = engine_kind(settings)
    dbt_project = scv_dbt_project(settings)
    ensure_manifest(dbt_project)
    identity = build_identity_assets(engine=engine)
    automation = build_automation(settings, partitions)
    quality = build_quality_definitions(partitions, engine)
    churn = build_churn_assets(settings, engine)
    # production reads weather from the Marketplace share (landing files as the fallback)
    bronze_overrides = (
        {}
        if settings.is_local
        else {
            WEATHER.table: build_marketplace_weather_asset(
                partitions, engine, settings.weather_share
            )
        }
    )
    return dg.Definitions(
        assets=[
            *build_bronze_assets(partitions, engine, bronze_overrides),
            *build_dbt_assets(dbt_project, partitions, engine),
            *identity.assets,
            *quality.assets,
            *churn.assets,
        ],
        asset_checks=[
            *build_all_bronze_checks(),
            *identity.asset_checks,
            *quality.asset_checks,
            *churn.asset_checks,
        ],
        jobs=automation.jobs,
        schedules=automation.schedules,
        sensors=automation.sensors,
        resources={**build_resources(settings, dbt_project), **automation.resources},
        # DuckDB has one writer: steps run one after another in the run's own process.
        executor=dg.in_process_executor,
    )


defs = build_definitions()
