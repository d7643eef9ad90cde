"""Assemble the resources for the environment named by ``SCV_ENV``."""

from __future__ import annotations

from typing import Any

from scv_platform.resources.landing_zone import LandingZoneResource
from scv_platform.resources.warehouse import (
    WAREHOUSE_KEY,
    duckdb_warehouse,
    snowflake_warehouse,
)
from scv_platform.settings import Settings


def build_resources(settings: Settings) -> dict[str, Any]:
    warehouse = duckdb_warehouse(settings) if settings.is_local else snowflake_warehouse(settings)
    return {
        WAREHOUSE_KEY: warehouse,
        "landing_zone": LandingZoneResource(root=str(settings.landing_dir)),
    }
