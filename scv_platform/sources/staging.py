"""Stage landing files into a DuckDB temporary table ``_raw`` of text columns.

Every file kind ends up the same way: the file's own header as VARCHAR columns plus
``__scv_path`` (the file) and ``__scv_row`` (CSV: line number with the header as line 1;
Parquet: row number; workbooks: the Excel row). Several CSV files with the same header are
staged by one ``read_csv`` call. Lines that are not valid CSV records are collected as rejects.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from scv_platform.sources.workbook import WorkbookError, read_customers_sheet
from scv_platform.warehouse.sql import quote_identifier, string_literal

RAW_TABLE = "_raw"
PATH_COLUMN = "__scv_path"
ROW_COLUMN = "__scv_row"


class FileRejected(Exception):
    """The whole file cannot be loaded; the message names the reason for a person."""


class BatchNotStaged(Exception):
    """Files staged together need the one-file path (a bad line or an unreadable file)."""


@dataclass(frozen=True)
class RejectedLine:
    source_row: int | None
    column_name: str | None
    reason: str
    raw_line: str | None


@dataclass
class StagedFile:
    header: list[str]
    rows: int
    rejected_lines: list[RejectedLine] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return self.rows + len(self.rejected_lines)


def csv_header(path: Path) -> list[str]:
    """The header row of a CSV or CSV.gz file, read without DuckDB (cheap)."""
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rb") as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
            first = next(csv.reader(text), None)
    except (OSError, EOFError, UnicodeDecodeError, csv.Error) as exc:
        raise FileRejected(f"cannot read the header row ({type(exc).__name__}: {exc})") from exc
    if not first or all(not cell.strip() for cell in first):
        raise FileRejected("file is empty: no header row")
    if len(set(first)) != len(first):
        duplicates = sorted({h for h in first if first.count(h) > 1})
        raise FileRejected(f"duplicate header column(s): {', '.join(duplicates)}")
    return first


def _drop_temp(con: duckdb.DuckDBPyConnection, *names: str) -> None:
    for name in names:
        con.execute(f"DROP TABLE IF EXISTS temp.main.{name}")


def drop_temp_relation(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Drop the temporary view or table ``name``, whichever it is (if it exists)."""
    is_view = con.execute(
        "SELECT count(*) FROM duckdb_views() WHERE view_name = $name AND temporary",
        {"name": name},
    ).fetchone()[0]
    con.execute(f"DROP {'VIEW' if is_view else 'TABLE'} IF EXISTS temp.main.{name}")


def drop_staged(con: duckdb.DuckDBPyConnection) -> None:
    """Drop ``_raw``, a view for batches and a table for single files."""
    drop_temp_relation(con, RAW_TABLE)


def _read_csv_select(paths: Sequence[Path], header: list[str], line_numbers: bool = True) -> str:
    """SELECT over ``read_csv``, with each row's line in its own file (header = line 1)
    unless ``line_numbers`` is False (rows then keep their files' order, for a caller that
    numbers them by position; see :func:`stage_csv_batch`).

    Paths and header names are embedded as quoted literals, so the text can define a view.
    """
    path_list = ", ".join(string_literal(str(p)) for p in paths)
    columns = ", ".join(f"{string_literal(name)}: 'VARCHAR'" for name in header)
    reader = f"""
        read_csv([{path_list}], header = true, auto_detect = false, delim = ',',
                 quote = '"', escape = '"', columns = {{{columns}}},
                 compression = 'auto', filename = '{PATH_COLUMN}', ignore_errors = true,
                 store_rejects = true, rejects_table = '_rejects',
                 rejects_scan = '_rejects_scan')
    """
    if not line_numbers:  # no ordinality: it would make the reader keep to one thread
        return f"SELECT * FROM {reader}"
    return f"""
        SELECT * EXCLUDE (ordinality),
               ordinality - min(ordinality) OVER (PARTITION BY {PATH_COLUMN}) + 2
                   AS {ROW_COLUMN}
        FROM {reader} WITH ORDINALITY
    """


def stage_csv_batch(
    con: duckdb.DuckDBPyConnection, paths: Sequence[Path], header: list[str]
) -> None:
    """Stage CSV files that share ``header`` as a view: they are parsed once, when promoted.

    The view has no ``__scv_row``: rows keep their files' order, so a row's line is its
    position in its file (``type_rows(..., rows_by_position=True)``). Call
    :func:`check_batch_rejects` after reading the view.
    """
    _drop_temp(con, "_rejects", "_rejects_scan")
    drop_staged(con)
    select = _read_csv_select(paths, header, line_numbers=False)
    con.execute(f"CREATE TEMP VIEW {RAW_TABLE} AS {select}")


def check_batch_rejects(con: duckdb.DuckDBPyConnection) -> None:
    """Raise BatchNotStaged when the batch had lines that are not valid CSV records."""
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = '_rejects' AND temporary"
    ).fetchone()[0]
    rejected = con.execute("SELECT count(*) FROM _rejects").fetchone()[0] if exists else 0
    if rejected:
        raise BatchNotStaged(f"{rejected} lines are not valid CSV records")


def stage_csv(con: duckdb.DuckDBPyConnection, path: Path) -> StagedFile:
    header = csv_header(path)
    _drop_temp(con, "_rejects", "_rejects_scan")
    drop_staged(con)
    try:
        con.execute(f"CREATE TEMP TABLE {RAW_TABLE} AS {_read_csv_select([path], header)}")
    except duckdb.Error as exc:
        reason = str(exc).strip().splitlines()[0]
        raise FileRejected(f"the CSV reader could not parse the file ({reason})") from exc
    rejects = con.execute(
        "SELECT line, string_agg(DISTINCT column_name, ','), "
        "arg_min(error_type || ': ' || error_message, column_idx), any_value(csv_line) "
        "FROM _rejects GROUP BY line ORDER BY line"
    ).fetchall()
    rows = con.execute(f"SELECT count(*) FROM {RAW_TABLE}").fetchone()[0]
    if rejects:
        _renumber_around_rejects(con, rows, [r[0] for r in rejects])
    _drop_temp(con, "_rejects", "_rejects_scan")
    return StagedFile(
        header=header,
        rows=rows,
        rejected_lines=[RejectedLine(r[0], r[1], r[2], r[3]) for r in rejects],
    )


def _renumber_around_rejects(
    con: duckdb.DuckDBPyConnection, rows: int, rejected_lines: list[int]
) -> None:
    """Give good rows their real line numbers when rejected lines sit between them."""
    con.execute(
        f"""
        UPDATE {RAW_TABLE} SET {ROW_COLUMN} = line_map.line
        FROM (
            SELECT line, row_number() OVER (ORDER BY line) + 1 AS emitted
            FROM range(2, $last + 1) AS lines(line)
            WHERE line NOT IN (SELECT unnest($rejected::BIGINT[]))
        ) AS line_map
        WHERE line_map.emitted = {RAW_TABLE}.{ROW_COLUMN}
        """,
        {"last": rows + len(rejected_lines) + 1, "rejected": rejected_lines},
    )


def stage_parquet(con: duckdb.DuckDBPyConnection, path: Path) -> StagedFile:
    try:
        header = list(pq.read_schema(path).names)
    except Exception as exc:  # pyarrow raises several error types for corrupt files
        raise FileRejected(f"not a readable Parquet file ({type(exc).__name__}: {exc})") from exc
    columns = ", ".join(
        f"CAST({quote_identifier(name)} AS VARCHAR) AS {quote_identifier(name)}" for name in header
    )
    drop_staged(con)
    con.execute(
        f"CREATE TEMP TABLE {RAW_TABLE} AS SELECT {columns}, $path AS {PATH_COLUMN}, "
        f"file_row_number + 1 AS {ROW_COLUMN} FROM read_parquet($path, file_row_number = true)",
        {"path": str(path)},
    )
    rows = con.execute(f"SELECT count(*) FROM {RAW_TABLE}").fetchone()[0]
    return StagedFile(header=header, rows=rows)


def stage_workbook(con: duckdb.DuckDBPyConnection, path: Path) -> StagedFile:
    try:
        table = read_customers_sheet(path)
    except WorkbookError as exc:
        raise FileRejected(str(exc)) from exc
    if len(set(table.header)) != len(table.header):
        duplicates = sorted({h for h in table.header if table.header.count(h) > 1})
        raise FileRejected(f"duplicate header column(s): {', '.join(duplicates)}")
    frame = table.rows.rename(columns={"_source_row": ROW_COLUMN})
    frame[PATH_COLUMN] = str(path)
    drop_staged(con)
    con.register("_workbook_frame", frame)
    try:
        con.execute(f"CREATE TEMP TABLE {RAW_TABLE} AS SELECT * FROM _workbook_frame")
    finally:
        con.unregister("_workbook_frame")
    return StagedFile(header=table.header, rows=len(frame))


def stage_file(con: duckdb.DuckDBPyConnection, path: Path) -> StagedFile:
    name = path.name.lower()
    if name.endswith(".xlsx"):
        return stage_workbook(con, path)
    if name.endswith(".parquet"):
        return stage_parquet(con, path)
    if path.stat().st_size == 0:
        raise FileRejected("file is empty: no header row")
    return stage_csv(con, path)
