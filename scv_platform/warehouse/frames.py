"""Writing pandas frames into DuckDB tables with declared column types."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import pandas as pd

from scv_platform.warehouse.sql import checked_identifier, qualified

Columns = Sequence[tuple[str, str]]  # (name, SQL type), in table order


@dataclass(frozen=True)
class FrameWrite:
    """One table a step writes: ``frame`` replaces the table, is appended to it, or replaces
    only the rows matching ``replace_where`` (a condition built from validated or quoted
    values: delete those rows, then insert the frame)."""

    schema: str
    name: str
    frame: pd.DataFrame
    columns: Columns
    append: bool = False
    replace_where: str | None = None

    @property
    def keeps_rows(self) -> bool:
        """The write adds to the table rather than replacing it whole."""
        return self.append or self.replace_where is not None

    @property
    def sql(self) -> str:
        return qualified(self.schema, self.name)

    @property
    def column_names(self) -> list[str]:
        return [checked_identifier(n) for n, _ in self.columns]

    def create_sql(self, *, replace: bool = False) -> str:
        cols = ", ".join(f"{checked_identifier(n)} {t}" for n, t in self.columns)
        head = "CREATE OR REPLACE TABLE" if replace else "CREATE TABLE IF NOT EXISTS"
        return f"{head} {self.sql} ({cols})"


def _typed_select(columns: Columns, source: str) -> str:
    cols = ", ".join(
        f"CAST({checked_identifier(name)} AS {sql_type}) AS {checked_identifier(name)}"
        for name, sql_type in columns
    )
    return f"SELECT {cols} FROM {checked_identifier(source)}"


def write_frame(con: duckdb.DuckDBPyConnection, write: FrameWrite) -> None:
    """Replace or append ``write.frame`` (creating the table and schema if needed)."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {checked_identifier(write.schema)}")
    if write.keeps_rows:
        con.execute(write.create_sql())
        if write.replace_where is not None:
            con.execute(f"DELETE FROM {write.sql} WHERE {write.replace_where}")
        if write.frame.empty:
            return
    view = f"_frame_{write.name}"
    con.register(view, write.frame[write.column_names])
    try:
        select = _typed_select(write.columns, view)
        if write.keeps_rows:
            names = ", ".join(write.column_names)
            con.execute(f"INSERT INTO {write.sql} ({names}) {select}")
        else:
            con.execute(f"CREATE OR REPLACE TABLE {write.sql} AS {select}")
    finally:
        con.unregister(view)


def write_frames(con: duckdb.DuckDBPyConnection, writes: Sequence[FrameWrite]) -> None:
    """All ``writes`` in one transaction: readers see all of them or none."""
    con.execute("BEGIN TRANSACTION")
    try:
        for write in writes:
            write_frame(con, write)
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def duckdb_table_write(
    con: duckdb.DuckDBPyConnection, schema: str, name: str, where: str | None = None
) -> FrameWrite:
    """A DuckDB table (its rows matching ``where``, a trusted condition) as a write of the
    same columns and types elsewhere, e.g. from a DuckDB working copy back to Snowflake."""
    relation = qualified(schema, name)
    described = con.execute(f"DESCRIBE {relation}").fetchall()
    columns = [(column, _portable_type(sql_type)) for column, sql_type, *_ in described]
    frame = con.execute(f"SELECT * FROM {relation} WHERE {where or 'true'}").df()
    return FrameWrite(schema, name, frame, columns, replace_where=where)


def _portable_type(duckdb_type: str) -> str:
    """DuckDB column types as types both engines accept."""
    if duckdb_type in {"HUGEINT", "INTEGER", "SMALLINT", "TINYINT", "UBIGINT", "UINTEGER"}:
        return "BIGINT"
    if duckdb_type.startswith("TIMESTAMP"):
        return "TIMESTAMP"
    if duckdb_type == "NULL":  # a column copied from an empty frame
        return "VARCHAR"
    return duckdb_type
