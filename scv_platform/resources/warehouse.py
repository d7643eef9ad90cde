"""The warehouse resource locally (a DuckDB file) and DuckDB connections from it.

Production resources are in :mod:`scv_platform.resources.snowflake`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from scv_platform.settings import Settings
from scv_platform.warehouse.duckdb_connection import apply_session_settings

WAREHOUSE_KEY = "warehouse"


def engine_kind(settings: Settings) -> str:
    """The ``kinds`` tag naming the engine that runs SQL for this environment."""
    return "duckdb" if settings.is_local else "snowflake"


def duckdb_warehouse(settings: Settings) -> DuckDBResource:
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    return DuckDBResource(database=str(settings.warehouse_path))


@contextmanager
def duckdb_connection(resource: object) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB connection from the warehouse resource, with the platform's session settings."""
    if not isinstance(resource, DuckDBResource):
        raise TypeError(
            f"a DuckDB connection was asked of a {type(resource).__name__}: steps reach the "
            "warehouse of any engine through scv_platform.warehouse.gateway.open_gateway"
        )
    path = Path(resource.database)
    if path.is_dir() or not path.parent.is_dir():
        raise dg.Failure(
            description=(
                f"the DuckDB warehouse {path} cannot be opened: it is a directory or its folder "
                "does not exist. Point SCV_WAREHOUSE_PATH at a file in an existing folder."
            ),
            allow_retries=False,
        )
    with resource.get_connection() as con:
        apply_session_settings(con)
        yield con
