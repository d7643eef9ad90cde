"""What both bronze loaders (DuckDB and Snowflake) share: the contract's typing and reason
wording, the promotion of staged text rows into bronze and quarantine, and the manifest.

Staged rows sit in a table of text columns named as the file's header, plus ``__scv_path``
and ``__scv_row``; a files table maps each path to its landing file, batch and partition.
SQL is written once with ``$name`` parameters and :class:`Dialect` fragments, and runs on a
DuckDB connection or a Snowflake cursor alike.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from scv_platform.sources.landing import LandingFile
from scv_platform.sources.specs import SOURCES, Column, ColumnType, SourceSpec, header_key
from scv_platform.sources.staging import (
    PATH_COLUMN,
    ROW_COLUMN,
    FileRejected,
    drop_temp_relation,
)
from scv_platform.warehouse.dialect import Dialect, joined_non_null
from scv_platform.warehouse.operational_tables import LOAD_MANIFEST, QUARANTINE, operational_ddl
from scv_platform.warehouse.sql import qualified, quote_identifier, string_literal

BRONZE_SCHEMA = "bronze"
LOAD_CHECK_NAME = "bronze_load"
FILES_TABLE = "_files"
TYPED_TABLE = "_typed"
TYPED_LINES_TABLE = "_typed_lines"
REJECTED = ": file rejected: "
METADATA_COLUMNS = (
    ("_extra_columns", "VARCHAR"),
    ("_source_file", "VARCHAR NOT NULL"),
    ("_source_row", "BIGINT"),
    ("_file_date", "DATE"),
    ("_batch_id", "VARCHAR NOT NULL"),
    ("_loaded_at", "TIMESTAMP NOT NULL"),
)
QUARANTINE_COLUMNS = (
    "source, source_file, source_row, column_name, reason, check_name, partition_key, "
    "original_values, batch_id, run_id, quarantined_at"
)


@dataclass(frozen=True)
class FileLoadResult:
    source: str
    source_file: str
    file_date: date | None
    status: str  # loaded | skipped | rejected
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    message: str | None
    batch_id: str | None


@dataclass(frozen=True)
class Load:
    """What every statement of one load shares."""

    spec: SourceSpec
    run_id: str | None
    loaded_at: datetime

    @property
    def params(self) -> dict[str, object]:
        return {"source": self.spec.table, "run_id": self.run_id, "loaded_at": self.loaded_at}


def run(con: Any, dialect: Dialect, sql: str, params: dict[str, object] | None = None) -> Any:
    """Execute ``sql`` with ``$name`` parameters on a DuckDB connection or Snowflake cursor."""
    if params is None:
        return con.execute(sql)
    return con.execute(dialect.bind(sql, True), params)


def bronze_table(spec: SourceSpec) -> str:
    return qualified(BRONZE_SCHEMA, spec.table)


def bronze_ddl(spec: SourceSpec) -> str:
    columns = [f"{c.name} {c.type.value}" for c in spec.columns]
    columns += [f"{name} {sql_type}" for name, sql_type in METADATA_COLUMNS]
    return f"CREATE TABLE IF NOT EXISTS {bronze_table(spec)} ({', '.join(columns)})"


def ensure_bronze_tables(con: Any, specs: Sequence[SourceSpec] = SOURCES) -> None:
    """The operational tables and the bronze tables of ``specs`` exist (empty if new)."""
    for statement in operational_ddl():
        con.execute(statement)
    for spec in specs:
        con.execute(bronze_ddl(spec))


def map_header(spec: SourceSpec, header: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    """Contract column -> header cell, and the extra header cells bronze keeps as JSON."""
    by_key = spec.columns_by_key
    mapped: dict[str, str] = {}
    extras: list[str] = []
    for cell in header:
        column = by_key.get(header_key(cell))
        if column is None:
            extras.append(cell)
        elif column.name in mapped:
            raise FileRejected(
                f"header cells {mapped[column.name]!r} and {cell!r} both name column {column.name}"
            )
        else:
            mapped[column.name] = cell
    missing = [c.name for c in spec.required_columns if c.name not in mapped]
    if missing:
        raise FileRejected(
            f"missing required column(s) {', '.join(missing)} (header has: {', '.join(header)})"
        )
    return mapped, extras


def _problems(column: Column, raw: str, typed: str) -> list[tuple[str, str]]:
    """(condition, reason text) pairs for one value: the wording quarantine shows people."""
    value = f"nullif(trim({raw}), '')"
    problems = []
    if column.required:
        problems.append(
            (f"{value} IS NULL", string_literal(column.name + ": required value is empty"))
        )
    if column.type is not ColumnType.TEXT:
        problems.append(
            (
                f"{value} IS NOT NULL AND {typed} IS NULL",
                f"{string_literal(column.name + ': ')} || '''' || left({raw}, 60) || '''' || "
                f"{string_literal(' is not ' + column.type.label)}",
            )
        )
    return problems


def type_rows(
    con: Any,
    dialect: Dialect,
    spec: SourceSpec,
    header: list[str],
    raw_table: str,
    rows_by_position: bool = False,
) -> None:
    """Type the staged rows into ``_typed`` with each row's problems, file and batch.

    ``rows_by_position``: the staged rows carry no ``__scv_row``; each row's line is its
    position in its file (DuckDB's CSV reader keeps the files' order, and so does a
    single-table CREATE TABLE AS, whose ``rowid`` then counts lines). The typed rows are
    materialised once, in that order, and ``_typed`` is a view adding lines and files.
    Raises FileRejected, before writing anything, when the header lacks a required column.
    """
    mapped, extras = map_header(spec, header)
    typed_columns: list[str] = []
    conditions: list[str] = []  # the reasons are only spelled out for rows with a problem
    reasons: list[str] = []
    problem_columns: list[str] = []
    for column in spec.columns:
        typed_name = quote_identifier(f"__typed_{column.name}")
        if column.name not in mapped:
            typed_columns.append(f"CAST(NULL AS {column.type.value}) AS {typed_name}")
            continue
        raw = quote_identifier(mapped[column.name])
        typed_columns.append(f"{dialect.typed(column.type, raw)} AS {typed_name}")
        column_problems = _problems(column, raw, typed_name)
        conditions += [f"({condition})" for condition, _ in column_problems]
        reasons += [f"CASE WHEN {cond} THEN {reason} END" for cond, reason in column_problems]
        if column_problems:
            any_of_column = " OR ".join(f"({condition})" for condition, _ in column_problems)
            problem_columns.append(
                f"CASE WHEN {any_of_column} THEN {string_literal(column.name)} END"
            )
    any_problem = " OR ".join(conditions) or "false"
    typed_names = [quote_identifier(f"__typed_{c.name}") for c in spec.columns]
    drop_typed(con, dialect)
    typed_select = f"""
        SELECT {", ".join(typed_names)}, {dialect.json_object(extras)} AS __extra,
               __problems, __problem_columns,
               CASE WHEN __problems IS NOT NULL THEN {dialect.json_object(header)} END
                   AS __original,
               t.{PATH_COLUMN} AS __path, {"" if rows_by_position else f"t.{ROW_COLUMN},"}
        FROM (
            SELECT *,
                   CASE WHEN {any_problem} THEN {joined_non_null(reasons, "; ")} END
                       AS __problems,
                   CASE WHEN {any_problem} THEN {joined_non_null(problem_columns, ",")} END
                       AS __problem_columns
            FROM (SELECT *, {", ".join(typed_columns)} FROM {raw_table}) AS r
        ) AS t
    """
    file_columns = (
        "f.source_file AS __file, f.file_date AS __file_date, f.batch_id AS __batch_id, "
        "f.partition_key AS __partition_key"
    )
    if not rows_by_position:
        con.execute(
            f"CREATE OR REPLACE TEMPORARY TABLE {TYPED_TABLE} AS "
            f"SELECT t.*, {file_columns} FROM ({typed_select}) AS t "
            f"JOIN {FILES_TABLE} AS f ON f.path = t.__path"
        )
        return
    con.execute(f"CREATE OR REPLACE TEMPORARY TABLE {TYPED_LINES_TABLE} AS {typed_select}")
    con.execute(
        f"""
        CREATE OR REPLACE TEMPORARY VIEW {TYPED_TABLE} AS
        SELECT t.*, t.rowid - first_line.row_id + 2 AS {ROW_COLUMN}, {file_columns}
        FROM {TYPED_LINES_TABLE} AS t
        JOIN (SELECT __path, min(rowid) AS row_id FROM {TYPED_LINES_TABLE} GROUP BY 1)
            AS first_line ON first_line.__path = t.__path
        JOIN {FILES_TABLE} AS f ON f.path = t.__path
        """
    )


def drop_typed(con: Any, dialect: Dialect) -> None:
    """Drop what :func:`type_rows` made (a table, or on DuckDB a view over typed lines)."""
    if dialect.is_snowflake:
        con.execute(dialect.drop_temp_table(TYPED_TABLE))
        return
    drop_temp_relation(con, TYPED_TABLE)
    con.execute(dialect.drop_temp_table(TYPED_LINES_TABLE))


def promote_typed(con: Any, dialect: Dialect, load: Load) -> dict[str, tuple[int, int]]:
    """Good typed rows to bronze, the others to quarantine: (loaded, quarantined) per file.

    Rows are counted first, so the quarantine statement only runs when a row has a problem.
    """
    counts = {
        file: (int(loaded), int(quarantined))
        for file, loaded, quarantined in con.execute(
            f"SELECT __file, count_if(__problems IS NULL), count_if(__problems IS NOT NULL) "
            f"FROM {TYPED_TABLE} GROUP BY 1"
        ).fetchall()
    }
    names = [c.name for c in load.spec.columns] + [name for name, _ in METADATA_COLUMNS]
    typed_names = [quote_identifier(f"__typed_{c.name}") for c in load.spec.columns]
    values = [*typed_names, "__extra", "__file", ROW_COLUMN, "__file_date", "__batch_id"]
    run(
        con,
        dialect,
        f"INSERT INTO {bronze_table(load.spec)} ({', '.join(names)}) "
        f"SELECT {', '.join(values)}, $loaded_at FROM {TYPED_TABLE} WHERE __problems IS NULL",
        {"loaded_at": load.loaded_at},
    )
    if any(quarantined for _, quarantined in counts.values()):
        run(
            con,
            dialect,
            f"""
            INSERT INTO {QUARANTINE} ({QUARANTINE_COLUMNS})
            SELECT $source, __file, {ROW_COLUMN}, __problem_columns, __problems,
                   {string_literal(LOAD_CHECK_NAME)}, __partition_key, __original,
                   __batch_id, $run_id, $loaded_at
            FROM {TYPED_TABLE} WHERE __problems IS NOT NULL
            """,
            load.params,
        )
    return counts


def quarantine_staged_rows(
    con: Any, dialect: Dialect, load: Load, header: list[str], raw_table: str, problem: str
) -> dict[str, int]:
    """Every staged row of files rejected whole (``problem``) goes to quarantine with its
    file's :func:`rejected_message`; returns the rows quarantined per file."""
    run(
        con,
        dialect,
        f"""
        INSERT INTO {QUARANTINE} ({QUARANTINE_COLUMNS})
        SELECT $source, f.source_file, r.{ROW_COLUMN}, NULL, f.source_file || $suffix,
               {string_literal(LOAD_CHECK_NAME)}, f.partition_key, {dialect.json_object(header)},
               f.batch_id, $run_id, $loaded_at
        FROM {raw_table} AS r JOIN {FILES_TABLE} AS f ON f.path = r.{PATH_COLUMN}
        """,
        {**load.params, "suffix": REJECTED + problem},
    )
    rows = con.execute(
        f"SELECT f.source_file, count(*) FROM {raw_table} AS r "
        f"JOIN {FILES_TABLE} AS f ON f.path = r.{PATH_COLUMN} GROUP BY 1"
    ).fetchall()
    return {file: int(n) for file, n in rows}


def quarantine_rows(
    con: Any,
    dialect: Dialect,
    load: Load,
    file: LandingFile,
    batch_id: str,
    rows: list[tuple[int | None, str | None, str, str | None]],
) -> None:
    """Quarantine rows that never reached a table: (row, column, reason, original JSON)."""
    if not rows:
        return
    con.executemany(
        dialect.bind_positional(
            f"INSERT INTO {QUARANTINE} ({QUARANTINE_COLUMNS}) "
            f"VALUES (?, ?, ?, ?, ?, {string_literal(LOAD_CHECK_NAME)}, ?, ?, ?, ?, ?)"
        ),
        [
            (
                load.spec.table,
                file.relative,
                row,
                column,
                reason,
                file.file_date.isoformat() if file.file_date else None,
                original,
                batch_id,
                load.run_id,
                load.loaded_at,
            )
            for row, column, reason, original in rows
        ],
    )


def register_files(
    con: Any,
    dialect: Dialect,
    entries: Sequence[tuple[str, LandingFile, str, bool]],
) -> None:
    """The files of a load, joined onto staged rows by path: (path, file, batch id, replaces).

    ``replaces`` marks files loaded before whose earlier rows this load retires.
    """
    con.execute(
        f"CREATE OR REPLACE TEMPORARY TABLE {FILES_TABLE} (path VARCHAR, source_file VARCHAR, "
        "file_date DATE, batch_id VARCHAR, partition_key VARCHAR, replaces BOOLEAN)"
    )
    con.executemany(
        dialect.bind_positional(f"INSERT INTO {FILES_TABLE} VALUES (?, ?, ?, ?, ?, ?)"),
        [
            (
                path,
                f.relative,
                f.file_date,
                batch_id,
                f.file_date.isoformat() if f.file_date else None,
                replaces,
            )
            for path, f, batch_id, replaces in entries
        ],
    )


def retire_previous_loads(con: Any, dialect: Dialect, load: Load) -> None:
    """Earlier rows of the registered files that are loaded again leave bronze; their
    quarantine entries are released and their manifest rows stop being current."""
    replaced = f"(SELECT source_file FROM {FILES_TABLE} WHERE replaces)"
    con.execute(f"DELETE FROM {bronze_table(load.spec)} WHERE _source_file IN {replaced}")
    run(
        con,
        dialect,
        f"UPDATE {QUARANTINE} SET released_at = $now, "
        "release_reason = 'superseded: the file was loaded again' "
        f"WHERE source = $source AND source_file IN {replaced} "
        f"AND released_at IS NULL AND check_name = {string_literal(LOAD_CHECK_NAME)}",
        {"now": load.loaded_at, "source": load.spec.table},
    )
    run(
        con,
        dialect,
        f"UPDATE {LOAD_MANIFEST} SET is_current = false "
        f"WHERE source = $source AND source_file IN {replaced}",
        {"source": load.spec.table},
    )


CURRENT_MANIFEST_SQL = (
    f"SELECT source_file, content_sha256, status FROM {LOAD_MANIFEST} "
    "WHERE source = $source AND is_current"
)


def manifest_entries(con: Any, dialect: Dialect, spec: SourceSpec) -> dict[str, tuple[str, str]]:
    """Current manifest rows of a source: file -> (content SHA-256, status)."""
    rows = run(con, dialect, CURRENT_MANIFEST_SQL, {"source": spec.table}).fetchall()
    return {file: (digest, status) for file, digest, status in rows}


def record_manifest(
    con: Any,
    dialect: Dialect,
    load: Load,
    entries: list[tuple[LandingFile, str, FileLoadResult, list[str] | None]],
) -> None:
    con.executemany(
        dialect.bind_positional(
            f"INSERT INTO {LOAD_MANIFEST} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, true)"
        ),
        [
            (
                load.spec.table,
                file.relative,
                file.file_date,
                file.size,
                digest,
                result.status,
                result.rows_read,
                result.rows_loaded,
                result.rows_quarantined,
                json.dumps(header) if header is not None else None,
                result.message,
                result.batch_id,
                load.run_id,
                load.loaded_at,
            )
            for file, digest, result, header in entries
        ],
    )


def file_result(
    spec: SourceSpec,
    file: LandingFile,
    batch_id: str | None,
    status: str,
    counts: tuple[int, int, int],
    message: str | None,
) -> FileLoadResult:
    read, loaded, quarantined = counts
    return FileLoadResult(
        spec.table,
        file.relative,
        file.file_date,
        status,
        read,
        loaded,
        quarantined,
        message,
        batch_id,
    )


def loaded_message(read: int, quarantined: int) -> str | None:
    if not quarantined:
        return None
    return f"{quarantined} of {read} rows quarantined (see quality.quarantine)"


def rejected_message(file: LandingFile, reason: object) -> str:
    return f"{file.relative}{REJECTED}{reason}"


def bad_line_reason(reason: str) -> str:
    return f"not a valid CSV record ({reason})"


def skipped_message(status: str) -> str:
    return f"already loaded with the same content (status {status})"


def to_skip(
    files: Sequence[LandingFile],
    digests: dict[str, str],
    previous: dict[str, tuple[str, str]],
    force: bool,
) -> set[str]:
    """Files already loaded with the same content (re-delivery is a no-op unless forced)."""
    if force:
        return set()
    return {
        f.relative
        for f in files
        if f.relative in previous and previous[f.relative][0] == digests[f.relative]
    }
