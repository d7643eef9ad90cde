"""Production resources on Snowflake, from the environment variables of contracts.md.

Secrets (account, user, password, private key path and passphrase) reach the resources as
``dg.EnvVar`` references: Dagster resolves them when a run starts, so their values never
appear in the definitions, the UI, logs or metadata. Key-pair authentication is used when
``SNOWFLAKE_PRIVATE_KEY_PATH`` is set, else the password. ``SNOWFLAKE_HOST`` / ``_PORT`` /
``_PROTOCOL`` reach an emulator on loopback. Sessions run in UTC with a query tag.
"""

from __future__ import annotations

from typing import Any

import dagster as dg

from scv_platform.settings import Settings

QUERY_TAG = "scv_platform"


def auth_config(settings: Settings) -> dict[str, Any]:
    """Key pair when a private key path is set, else password; both as env references."""
    if settings.snowflake.private_key_path:
        auth: dict[str, Any] = {"private_key_path": dg.EnvVar("SNOWFLAKE_PRIVATE_KEY_PATH")}
        if settings.snowflake.private_key_passphrase:
            auth["private_key_password"] = dg.EnvVar("SNOWFLAKE_PRIVATE_KEY_PASSPHRASE")
        return auth
    return {"password": dg.EnvVar("SNOWFLAKE_PASSWORD")}


def connection_args(settings: Settings) -> dict[str, Any]:
    """Connector arguments beyond the account: endpoint (emulator), timeouts, session."""
    snowflake = settings.snowflake
    endpoint = {
        name: value
        for name, value in (
            ("host", snowflake.host),
            ("port", snowflake.port),
            ("protocol", snowflake.protocol),
        )
        if value is not None
    }
    return {
        **endpoint,
        "login_timeout": snowflake.login_timeout,
        "network_timeout": snowflake.network_timeout,
        "session_parameters": {"TIMEZONE": "UTC", "QUERY_TAG": QUERY_TAG},
    }


def _common(settings: Settings) -> dict[str, Any]:
    snowflake = settings.snowflake
    return {
        "account": dg.EnvVar("SNOWFLAKE_ACCOUNT"),
        "user": dg.EnvVar("SNOWFLAKE_USER"),
        "role": snowflake.role,
        "warehouse": snowflake.warehouse,
        "additional_snowflake_connection_args": connection_args(settings),
        **auth_config(settings),
    }


def snowflake_resource(settings: Settings) -> dg.ConfigurableResource:
    """The ``warehouse`` resource in production: a ``SnowflakeResource``."""
    from dagster_snowflake import SnowflakeResource  # imported only in prod: slow to load

    return SnowflakeResource(database=settings.snowflake.database, **_common(settings))


def snowflake_io_manager(settings: Settings) -> dg.ConfigurableIOManagerFactory:
    """Pandas frames as Snowflake tables (schema = the asset key prefix)."""
    from dagster_snowflake_pandas import SnowflakePandasIOManager

    database = settings.snowflake.database or dg.EnvVar("SNOWFLAKE_DATABASE")
    return SnowflakePandasIOManager(database=database, **_common(settings))
