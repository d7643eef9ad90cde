"""The warehouse as the steps see it: one small interface, a DuckDB and a Snowflake side.

Assets and checks never branch on the engine: they open a gateway on the ``warehouse``
resource and run SQL (``$name`` parameters), fetch frames, write frames atomically, load
landing files into bronze, or take a DuckDB copy of a few tables for Python-side work
(Splink, checks written for DuckDB).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import duckdb
import pandas as pd
from dagster_duckdb import DuckDBResource

from scv_platform.resources.warehouse import duckdb_connection
from scv_platform.sources.landing import LandingFile
from scv_platform.sources.promotion import FileLoadResult, ensure_bronze_tables
from scv_platform.sources.specs import SourceSpec
from scv_platform.warehouse.dialect import DUCKDB, Dialect
from scv_platform.warehouse.frames import FrameWrite, write_frames
from scv_platform.warehouse.sql import qualified

TableName = tuple[str, str]  # (schema, table), lower case as the code names them


class WarehouseGateway(ABC):
    """What a step needs from the warehouse, whatever the engine."""

    dialect: Dialect

    @property
    def engine(self) -> str:
        return self.dialect.name

    @abstractmethod
    def execute(self, sql: str, params: dict[str, object] | None = None) -> list[tuple]:
        """Run one statement; its rows (empty for statements without a result)."""

    @abstractmethod
    def fetch_frame(self, sql: str, params: dict[str, object] | None = None) -> pd.DataFrame:
        """A query's rows as a frame with lower-case column names."""

    @abstractmethod
    def table_exists(self, schema: str, name: str) -> bool: ...

    @abstractmethod
    def write_frames(self, writes: Sequence[FrameWrite]) -> None:
        """Replace or append each table, all in one transaction."""

    @abstractmethod
    def load_files(
        self, spec: SourceSpec, files: Sequence[LandingFile], run_id: str | None, force: bool
    ) -> list[FileLoadResult]:
        """Landing files into ``bronze.<spec.table>`` with quarantine and manifest."""

    @abstractmethod
    def ensure_bronze_tables(self) -> None:
        """Every bronze and operational table exists (empty when its source never delivered)."""

    @abstractmethod
    @contextmanager
    def duckdb_copy(self, tables: Sequence[TableName]) -> Iterator[duckdb.DuckDBPyConnection]:
        """A DuckDB connection where ``tables`` (those that exist) can be read by name."""

    def scalar(self, sql: str, params: dict[str, object] | None = None) -> Any:
        return self.execute(sql, params)[0][0]


class DuckDBGateway(WarehouseGateway):
    """The local DuckDB warehouse, on an open connection."""

    dialect = DUCKDB

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def execute(self, sql: str, params: dict[str, object] | None = None) -> list[tuple]:
        cursor = self.con.execute(sql, params) if params is not None else self.con.execute(sql)
        return cursor.fetchall() if cursor.description else []

    def fetch_frame(self, sql: str, params: dict[str, object] | None = None) -> pd.DataFrame:
        cursor = self.con.execute(sql, params) if params is not None else self.con.execute(sql)
        frame = cursor.df()
        frame.columns = [str(c).lower() for c in frame.columns]
        return frame

    def table_exists(self, schema: str, name: str) -> bool:
        return bool(
            self.scalar(
                "SELECT count(*) FROM information_schema.tables "
                "WHERE table_schema = $schema AND table_name = $name",
                {"schema": schema, "name": name},
            )
        )

    def write_frames(self, writes: Sequence[FrameWrite]) -> None:
        write_frames(self.con, writes)

    def load_files(
        self, spec: SourceSpec, files: Sequence[LandingFile], run_id: str | None, force: bool
    ) -> list[FileLoadResult]:
        from scv_platform.sources.loader import load_files

        return load_files(self.con, spec, files, run_id, force)

    def ensure_bronze_tables(self) -> None:
        ensure_bronze_tables(self.con)

    @contextmanager
    def duckdb_copy(self, tables: Sequence[TableName]) -> Iterator[duckdb.DuckDBPyConnection]:
        yield self.con  # the tables are here already


def copy_into_duckdb(
    gateway: WarehouseGateway, tables: Sequence[TableName], con: duckdb.DuckDBPyConnection
) -> None:
    """Fetch each existing table of ``tables`` into ``con`` under the same schema and name."""
    for schema, name in tables:
        if not gateway.table_exists(schema, name):
            continue
        frame = gateway.fetch_frame(f"SELECT * FROM {qualified(schema, name)}")
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        con.register("_fetched", frame)
        try:
            con.execute(f"CREATE OR REPLACE TABLE {qualified(schema, name)} AS FROM _fetched")
        finally:
            con.unregister("_fetched")


@contextmanager
def open_gateway(resource: object) -> Iterator[WarehouseGateway]:
    """The gateway of the ``warehouse`` resource (DuckDB locally, Snowflake in production)."""
    if isinstance(resource, DuckDBResource):
        with duckdb_connection(resource) as con:
            yield DuckDBGateway(con)
        return
    from scv_platform.warehouse.snowflake_gateway import SnowflakeGateway

    with SnowflakeGateway.open(resource) as gateway:
        yield gateway
