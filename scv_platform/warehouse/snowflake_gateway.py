"""The Snowflake side of the warehouse gateway (production, or an emulator on loopback).

Frames are written as Parquet through a temporary stage (``PUT`` + ``COPY INTO ...
MATCH_BY_COLUMN_NAME``) into scratch tables, then swapped into their targets in one
transaction (DELETE + INSERT: readers never see a half-written table).
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from scv_platform.settings import is_loopback
from scv_platform.sources.landing import LandingFile
from scv_platform.sources.promotion import FileLoadResult, ensure_bronze_tables
from scv_platform.sources.snowflake_loader import SnowflakeLoader
from scv_platform.sources.specs import SourceSpec
from scv_platform.warehouse.dialect import SNOWFLAKE
from scv_platform.warehouse.duckdb_connection import apply_session_settings
from scv_platform.warehouse.frames import FrameWrite
from scv_platform.warehouse.gateway import TableName, WarehouseGateway, copy_into_duckdb
from scv_platform.warehouse.sql import checked_identifier, qualified, string_literal

UPLOAD_STAGE = "scv_upload"
_ARROW_TYPES = {
    "VARCHAR": pa.string(),
    "DOUBLE": pa.float64(),
    "BIGINT": pa.int64(),
    "BOOLEAN": pa.bool_(),
    "TIMESTAMP": pa.timestamp("us"),
    "DATE": pa.date32(),
}


def arrow_table(frame: pd.DataFrame, columns: Sequence[tuple[str, str]]) -> pa.Table:
    """``frame`` with exactly the declared columns and types (NULLs kept)."""
    data = {}
    for name, sql_type in columns:
        values = frame[name]
        if sql_type == "TIMESTAMP":
            values = pd.to_datetime(values)
        elif sql_type == "DATE":
            values = pd.to_datetime(values).dt.date
        data[name] = pa.array(values, type=_ARROW_TYPES[sql_type], from_pandas=True)
    return pa.table(data)


class SnowflakeGateway(WarehouseGateway):
    """Snowflake through one connection (and one cursor) of the ``SnowflakeResource``."""

    dialect = SNOWFLAKE

    def __init__(self, connection: Any, emulator: bool) -> None:
        self.connection = connection
        self.cur = connection.cursor()
        self.emulator = emulator

    @classmethod
    @contextmanager
    def open(cls, resource: Any) -> Iterator[SnowflakeGateway]:
        """From a ``SnowflakeResource``, or the connection object Dagster hands an op for it
        (``context.resources.warehouse``), which wraps the resource."""
        resource = getattr(resource, "snowflake_connection_resource", resource)
        host = (resource.additional_snowflake_connection_args or {}).get("host")
        with resource.get_connection() as connection:
            yield cls(connection, emulator=is_loopback(host))

    def execute(self, sql: str, params: dict[str, object] | None = None) -> list[tuple]:
        self.cur.execute(self.dialect.bind(sql, params is not None), params)
        return self.cur.fetchall() if self.cur.description else []

    def fetch_frame(self, sql: str, params: dict[str, object] | None = None) -> pd.DataFrame:
        self.cur.execute(self.dialect.bind(sql, params is not None), params)
        frame = self.cur.fetch_pandas_all()
        if frame.columns.empty:
            frame = pd.DataFrame(columns=[d[0] for d in self.cur.description])
        frame.columns = [str(c).lower() for c in frame.columns]
        return frame

    def table_exists(self, schema: str, name: str) -> bool:
        return bool(
            self.scalar(
                "SELECT count(*) FROM information_schema.tables "
                "WHERE table_schema = $schema AND table_name = $name",
                {"schema": schema.upper(), "name": name.upper()},
            )
        )

    def upload(self, paths: Sequence[Path], schema: str) -> str:
        """PUT files to a temporary stage of ``schema``; returns their stage location."""
        stage = qualified(schema, UPLOAD_STAGE)
        location = f"@{stage}/{uuid.uuid4().hex}/"
        self.cur.execute(f"CREATE TEMPORARY STAGE IF NOT EXISTS {stage}")
        for path in paths:
            self.cur.execute(
                f"PUT {string_literal(path.resolve().as_uri())} {location} "
                "AUTO_COMPRESS = FALSE OVERWRITE = TRUE"
            )
        return location

    def write_frames(self, writes: Sequence[FrameWrite]) -> None:
        scratch: list[FrameWrite] = []
        try:
            with tempfile.TemporaryDirectory(prefix="scv_frames_") as folder:
                for write in writes:
                    scratch.append(self._stage_frame(write, Path(folder)))
            self._swap(writes, scratch)
        finally:
            for new in scratch:
                self.cur.execute(f"DROP TABLE IF EXISTS {new.sql}")

    def _stage_frame(self, write: FrameWrite, folder: Path) -> FrameWrite:
        """The target exists; ``write.frame`` is copied into a new scratch table, returned."""
        self.cur.execute(f"CREATE SCHEMA IF NOT EXISTS {checked_identifier(write.schema)}")
        self.cur.execute(write.create_sql())
        name = f"_scv_new_{write.name}_{uuid.uuid4().hex[:8]}"
        new = FrameWrite(write.schema, name, write.frame, write.columns)
        self.cur.execute(new.create_sql(replace=True))
        if not write.frame.empty:
            path = folder / f"{name}.parquet"
            pq.write_table(arrow_table(write.frame, write.columns), path)
            location = self.upload([path], write.schema)
            self.cur.execute(
                f"COPY INTO {new.sql} FROM {location} "
                "FILE_FORMAT = (TYPE = PARQUET USE_LOGICAL_TYPE = TRUE) "
                "MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE FORCE = TRUE"
            )
        return new

    def _swap(self, writes: Sequence[FrameWrite], scratch: Sequence[FrameWrite]) -> None:
        self.cur.execute("BEGIN")
        try:
            for write, new in zip(writes, scratch, strict=True):
                if write.replace_where is not None:
                    self.cur.execute(f"DELETE FROM {write.sql} WHERE {write.replace_where}")
                elif not write.append:
                    self.cur.execute(f"DELETE FROM {write.sql}")
                names = ", ".join(write.column_names)
                self.cur.execute(f"INSERT INTO {write.sql} ({names}) SELECT {names} FROM {new.sql}")
            self.cur.execute("COMMIT")
        except BaseException:
            self.cur.execute("ROLLBACK")
            raise

    def load_files(
        self, spec: SourceSpec, files: Sequence[LandingFile], run_id: str | None, force: bool
    ) -> list[FileLoadResult]:
        return SnowflakeLoader(self.cur, spec, run_id, self.emulator).load_files(files, force)

    def ensure_bronze_tables(self) -> None:
        ensure_bronze_tables(self.cur)

    @contextmanager
    def duckdb_copy(self, tables: Sequence[TableName]) -> Iterator[duckdb.DuckDBPyConnection]:
        con = duckdb.connect()
        try:
            apply_session_settings(con)
            copy_into_duckdb(self, tables, con)
            yield con
        finally:
            con.close()
