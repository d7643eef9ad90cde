"""Assemble the resources for the environment named by ``SCV_ENV``."""

from __future__ import annotations

from typing import Any

from dagster_dbt import DbtProject

from scv_platform.resources.landing_zone import LandingZoneResource
from scv_platform.resources.warehouse import (
    WAREHOUSE_KEY,
    duckdb_warehouse,
    snowflake_warehouse,
)
from scv_platform.settings import Settings
from scv_platform.transform.project import dbt_resource


def build_resources(settings: Settings, dbt_project: DbtProject) -> dict[str, Any]:
    warehouse = duckdb_warehouse(settings) if settings.is_local else snowflake_warehouse(settings)
    return {
        WAREHOUSE_KEY: warehouse,
        "landing_zone": LandingZoneResource(root=str(settings.landing_dir)),
        "dbt": dbt_resource(dbt_project),
    }
