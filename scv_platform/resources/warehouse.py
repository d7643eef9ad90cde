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
from pydantic import PrivateAttr

from scv_platform.settings import Settings
from scv_platform.warehouse.duckdb_connection import DUCKDB_CONFIG, apply_session_settings

WAREHOUSE_KEY = "warehouse"


def engine_kind(settings: Settings) -> str:
    """The ``kinds`` tag naming the engine that runs SQL for this environment."""
    return "duckdb" if settings.is_local else "snowflake"


class DuckDBWarehouse(DuckDBResource):
    """The DuckDB file warehouse, opened once for a whole run (or sensor tick) and closed when
    it ends. Each step's connection is a cursor on that one database, and dbt running in the
    step's process (:mod:`scv_platform.transform.in_process`) shares it too, since it opens
    the file with the same configuration (``profiles.yml``: ``config_options``).

    Opening the file for every step and closing it after (DuckDB then checkpoints its log)
    cost some 50 ms each, about 60 times in a daily run; one database also keeps what the
    previous step read in its buffer cache. Outside a run (no setup) connections open and
    close the file as dagster-duckdb does.
    """

    _database: duckdb.DuckDBPyConnection | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        if _usable_path(Path(self.database)):
            self._database = duckdb.connect(self.database, config=dict(DUCKDB_CONFIG))

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._database is not None:
            self._database.close()
            self._database = None

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        if self._database is None:
            with super().get_connection() as con:
                yield con
            return
        cursor = self._database.cursor()
        try:
            yield cursor
        finally:
            cursor.close()


def _usable_path(path: Path) -> bool:
    return not path.is_dir() and path.parent.is_dir()


def duckdb_warehouse(settings: Settings) -> DuckDBWarehouse:
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    return DuckDBWarehouse(database=str(settings.warehouse_path))


@contextmanager
def duckdb_connection(resource: object) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB connection from the warehouse resource, with the platform's session settings."""
    if not isinstance(resource, DuckDBResource):
        raise TypeError(
            f"a DuckDB connection was asked of a {type(resource).__name__}: steps reach the "
            "warehouse of any engine through scv_platform.warehouse.gateway.open_gateway"
        )
    path = Path(resource.database)
    if not _usable_path(path):
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
