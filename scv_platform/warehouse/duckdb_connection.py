"""Opening the local DuckDB warehouse with the session settings every layer relies on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

SESSION_SETTINGS = {"TimeZone": "UTC"}
# How every connection of this process opens the file: DuckDB shares one database between
# the connections of a process only when they open it with the same configuration. This is
# dagster-duckdb's (its resource adds the user agent); dbt's local profile sets the same.
DUCKDB_CONFIG = {"custom_user_agent": "dagster"}


def connect(path: Path | str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only, config=dict(DUCKDB_CONFIG))
    apply_session_settings(con)
    return con


def apply_session_settings(con: duckdb.DuckDBPyConnection) -> None:
    """Timestamps without an offset are UTC, and TIMESTAMPTZ values convert to UTC."""
    for name, value in SESSION_SETTINGS.items():
        con.execute(f"SET {name} = '{value}'")


@contextmanager
def connection(path: Path | str, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(path, read_only=read_only)
    try:
        yield con
    finally:
        con.close()
