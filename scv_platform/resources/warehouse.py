"""The warehouse resource: a DuckDB file locally, Snowflake in production."""

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


def snowflake_warehouse(settings: Settings) -> dg.ConfigurableResource:
    """Snowflake from the environment variables of contracts.md; secrets stay in the env.

    Key-pair authentication is used when ``SNOWFLAKE_PRIVATE_KEY_PATH`` is set, else the
    password. ``SNOWFLAKE_HOST`` / ``_PORT`` / ``_PROTOCOL`` reach an emulator on loopback.
    """
    from dagster_snowflake import SnowflakeResource  # imported only in prod: it is slow to load

    auth: dict[str, object] = (
        {"private_key_path": dg.EnvVar("SNOWFLAKE_PRIVATE_KEY_PATH")}
        if settings.snowflake.private_key_path
        else {"password": dg.EnvVar("SNOWFLAKE_PASSWORD")}
    )
    endpoint = {
        name: value
        for name, value in (
            ("host", settings.snowflake.host),
            ("port", settings.snowflake.port),
            ("protocol", settings.snowflake.protocol),
        )
        if value is not None
    }
    return SnowflakeResource(
        account=dg.EnvVar("SNOWFLAKE_ACCOUNT"),
        user=dg.EnvVar("SNOWFLAKE_USER"),
        role=settings.snowflake.role,
        warehouse=settings.snowflake.warehouse,
        database=settings.snowflake.database,
        additional_snowflake_connection_args=endpoint or None,
        **auth,
    )


@contextmanager
def duckdb_connection(resource: object) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB connection from the warehouse resource, with the platform's session settings."""
    if not isinstance(resource, DuckDBResource):
        raise NotImplementedError(
            f"this step runs on DuckDB; the configured warehouse is {type(resource).__name__}. "
            "Loading bronze on Snowflake (stage + COPY INTO) is tracked in the production issue."
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
