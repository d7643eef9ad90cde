"""Assemble the resources for the environment named by ``SCV_ENV``."""

from __future__ import annotations

from typing import Any

from dagster_dbt import DbtProject
from dagster_duckdb_pandas import DuckDBPandasIOManager

from scv_platform.resources.landing_zone import LandingZoneResource
from scv_platform.resources.snowflake import snowflake_io_manager, snowflake_resource
from scv_platform.resources.warehouse import WAREHOUSE_KEY, duckdb_warehouse
from scv_platform.settings import Settings
from scv_platform.transform.project import dbt_resource

WAREHOUSE_IO_MANAGER_KEY = "warehouse_io_manager"


def build_resources(settings: Settings, dbt_project: DbtProject) -> dict[str, Any]:
    """DuckDB file and DuckDB pandas IO manager locally; Snowflake and its IO manager in prod."""
    if settings.is_local:
        warehouse = duckdb_warehouse(settings)
        io_manager = DuckDBPandasIOManager(database=str(settings.warehouse_path))
    else:
        warehouse = snowflake_resource(settings)
        io_manager = snowflake_io_manager(settings)
    return {
        WAREHOUSE_KEY: warehouse,
        WAREHOUSE_IO_MANAGER_KEY: io_manager,
        "landing_zone": LandingZoneResource(root=str(settings.landing_dir)),
        "dbt": dbt_resource(dbt_project),
    }
