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
    """One table a step writes: ``frame`` replaces the table, or is appended to it."""

    schema: str
    name: str
    frame: pd.DataFrame
    columns: Columns
    append: bool = False

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
    if write.append:
        con.execute(write.create_sql())
        if write.frame.empty:
            return
    view = f"_frame_{write.name}"
    con.register(view, write.frame[write.column_names])
    try:
        select = _typed_select(write.columns, view)
        if write.append:
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
