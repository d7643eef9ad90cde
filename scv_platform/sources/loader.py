"""Load landing files into bronze on DuckDB: type-check, quarantine, reconcile, record.

For every file: ``rows read = rows loaded + rows quarantined``. A file already loaded with
the same content is skipped; a file re-delivered with new content replaces its earlier rows
(and releases their quarantine entries). Each file loads in one transaction.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

import duckdb

from scv_platform.sources.landing import LandingFile
from scv_platform.sources.specs import SOURCES, Column, ColumnType, SourceSpec, header_key
from scv_platform.sources.staging import RAW_TABLE, FileRejected, StagedFile, stage_file
from scv_platform.warehouse.operational_tables import (
    LOAD_MANIFEST,
    QUARANTINE,
    ensure_operational_tables,
)
from scv_platform.warehouse.sql import qualified, quote_identifier, string_literal

BRONZE_SCHEMA = "bronze"
LOAD_CHECK_NAME = "bronze_load"
METADATA_COLUMNS = (
    ("_extra_columns", "VARCHAR"),
    ("_source_file", "VARCHAR NOT NULL"),
    ("_source_row", "BIGINT"),
    ("_file_date", "DATE"),
    ("_batch_id", "VARCHAR NOT NULL"),
    ("_loaded_at", "TIMESTAMP NOT NULL"),
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


def bronze_table(spec: SourceSpec) -> str:
    return qualified(BRONZE_SCHEMA, spec.table)


def ensure_bronze_table(con: duckdb.DuckDBPyConnection, spec: SourceSpec) -> None:
    ensure_operational_tables(con)
    columns = [f"{c.name} {c.type.value}" for c in spec.columns]
    columns += [f"{name} {sql_type}" for name, sql_type in METADATA_COLUMNS]
    con.execute(f"CREATE TABLE IF NOT EXISTS {bronze_table(spec)} ({', '.join(columns)})")


def ensure_all_bronze_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Every bronze table exists (empty if its source never delivered), so dbt always builds."""
    for spec in SOURCES:
        ensure_bronze_table(con, spec)


def _typed_expression(column: Column, raw: str) -> str:
    value = f"nullif(trim({raw}), '')"
    match column.type:
        case ColumnType.TEXT:
            return f"CAST({raw} AS VARCHAR)"
        case ColumnType.TIMESTAMP:
            return f"CAST(try_cast({value} AS TIMESTAMPTZ) AS TIMESTAMP)"
        case ColumnType.INTEGER:
            return (
                f"CASE WHEN regexp_full_match({value}, '[+-]?[0-9]+') "
                f"THEN try_cast({value} AS BIGINT) END"
            )
        case _:
            return f"try_cast({value} AS {column.type.value})"


def _problem_expressions(column: Column, raw: str, typed: str) -> list[str]:
    value = f"nullif(trim({raw}), '')"
    problems = []
    if column.required:
        problems.append(
            f"CASE WHEN {value} IS NULL THEN "
            f"{string_literal(column.name + ': required value is empty')} END"
        )
    if column.type is not ColumnType.TEXT:
        problems.append(
            f"CASE WHEN {value} IS NOT NULL AND {typed} IS NULL THEN "
            f"{string_literal(column.name + ': ')} || '''' || left({raw}, 60) || '''' || "
            f"{string_literal(' is not ' + column.type.label)} END"
        )
    return problems


def _json_of(columns: Iterable[str]) -> str:
    pairs = ", ".join(f"{string_literal(c)}, {quote_identifier(c)}" for c in columns)
    return f"json_object({pairs})" if pairs else "NULL"


def _map_header(spec: SourceSpec, header: list[str]) -> tuple[dict[str, str], list[str]]:
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


@dataclass(frozen=True)
class _LoadContext:
    spec: SourceSpec
    file: LandingFile
    batch_id: str
    run_id: str | None
    loaded_at: datetime

    @property
    def partition_key(self) -> str | None:
        return self.file.file_date.isoformat() if self.file.file_date else None

    @property
    def params(self) -> dict[str, object]:
        return {
            "source": self.spec.table,
            "source_file": self.file.relative,
            "file_date": self.file.file_date,
            "batch_id": self.batch_id,
            "run_id": self.run_id,
            "loaded_at": self.loaded_at,
            "partition_key": self.partition_key,
        }


def _quarantine_staged_rows(
    con: duckdb.DuckDBPyConnection, ctx: _LoadContext, header: list[str], reason: str
) -> int:
    con.execute(
        f"""
        INSERT INTO {QUARANTINE} (source, source_file, source_row, column_name, reason,
            check_name, partition_key, original_values, batch_id, run_id, quarantined_at)
        SELECT $source, $source_file, _source_row, NULL, $reason, {string_literal(LOAD_CHECK_NAME)},
               $partition_key, CAST({_json_of(header)} AS VARCHAR), $batch_id, $run_id, $loaded_at
        FROM {RAW_TABLE}
        """,
        {**_params_without(ctx, "file_date"), "reason": reason},
    )
    return con.execute(f"SELECT count(*) FROM {RAW_TABLE}").fetchone()[0]


def _params_without(ctx: _LoadContext, *names: str) -> dict[str, object]:
    return {k: v for k, v in ctx.params.items() if k not in names}


def _quarantine_rejected_lines(
    con: duckdb.DuckDBPyConnection, ctx: _LoadContext, staged: StagedFile
) -> int:
    for line in staged.rejected_lines:
        con.execute(
            f"""
            INSERT INTO {QUARANTINE} (source, source_file, source_row, column_name, reason,
                check_name, partition_key, original_values, batch_id, run_id, quarantined_at)
            VALUES ($source, $source_file, $row, $column, $reason,
                    {string_literal(LOAD_CHECK_NAME)}, $partition_key, $original, $batch_id,
                    $run_id, $loaded_at)
            """,
            {
                **_params_without(ctx, "file_date"),
                "row": line.source_row,
                "column": line.column_name,
                "reason": f"not a valid CSV record ({line.reason})",
                "original": json.dumps({"csv_line": line.raw_line}),
            },
        )
    return len(staged.rejected_lines)


def _promote_rows(
    con: duckdb.DuckDBPyConnection, ctx: _LoadContext, staged: StagedFile
) -> tuple[int, int]:
    """Type-check staged rows; good ones go to bronze, the others to quarantine."""
    mapped, extras = _map_header(ctx.spec, staged.header)
    typed_columns: list[str] = []
    problems: list[str] = []
    problem_columns: list[str] = []
    for column in ctx.spec.columns:
        typed_name = quote_identifier(f"__typed_{column.name}")
        if column.name not in mapped:
            typed_columns.append(f"CAST(NULL AS {column.type.value}) AS {typed_name}")
            continue
        raw = quote_identifier(mapped[column.name])
        typed = _typed_expression(column, raw)
        typed_columns.append(f"{typed} AS {typed_name}")
        column_problems = _problem_expressions(column, raw, typed_name)
        problems += column_problems
        if column_problems:
            problem_columns.append(
                f"CASE WHEN concat_ws('', {', '.join(column_problems)}) <> '' "
                f"THEN {string_literal(column.name)} END"
            )
    problem_text = f"nullif(concat_ws('; ', {', '.join(problems)}), '')" if problems else "NULL"
    problem_cols = (
        f"nullif(concat_ws(',', {', '.join(problem_columns)}), '')" if problem_columns else "NULL"
    )
    con.execute("DROP TABLE IF EXISTS temp.main._typed")
    con.execute(
        f"""
        CREATE TEMP TABLE _typed AS
        SELECT *, {problem_text} AS __problems, {problem_cols} AS __problem_columns
        FROM (SELECT *, {", ".join(typed_columns)} FROM {RAW_TABLE})
        """
    )
    names = [c.name for c in ctx.spec.columns] + [m[0] for m in _METADATA_INSERT]
    values = [quote_identifier(f"__typed_{c.name}") for c in ctx.spec.columns]
    values += [
        f"CAST({_json_of(extras)} AS VARCHAR)" if extras else "NULL",
        *[m[1] for m in _METADATA_INSERT[1:]],
    ]
    con.execute(
        f"INSERT INTO {bronze_table(ctx.spec)} ({', '.join(names)}) "
        f"SELECT {', '.join(values)} FROM _typed WHERE __problems IS NULL",
        _params_without(ctx, "source", "run_id", "partition_key"),
    )
    con.execute(
        f"""
        INSERT INTO {QUARANTINE} (source, source_file, source_row, column_name, reason,
            check_name, partition_key, original_values, batch_id, run_id, quarantined_at)
        SELECT $source, $source_file, _source_row, __problem_columns, __problems,
               {string_literal(LOAD_CHECK_NAME)}, $partition_key,
               CAST({_json_of(staged.header)} AS VARCHAR), $batch_id, $run_id, $loaded_at
        FROM _typed WHERE __problems IS NOT NULL
        """,
        _params_without(ctx, "file_date"),
    )
    counts = con.execute(
        "SELECT count(*) FILTER (WHERE __problems IS NULL), "
        "count(*) FILTER (WHERE __problems IS NOT NULL) FROM _typed"
    ).fetchone()
    con.execute("DROP TABLE IF EXISTS temp.main._typed")
    return counts[0], counts[1]


_METADATA_INSERT = (
    ("_extra_columns", None),
    ("_source_file", "$source_file"),
    ("_source_row", "_source_row"),
    ("_file_date", "$file_date"),
    ("_batch_id", "$batch_id"),
    ("_loaded_at", "$loaded_at"),
)


def _current_manifest_entry(
    con: duckdb.DuckDBPyConnection, spec: SourceSpec, source_file: str
) -> tuple[str, str] | None:
    return con.execute(
        f"SELECT content_sha256, status FROM {LOAD_MANIFEST} "
        "WHERE source = $source AND source_file = $file AND is_current",
        {"source": spec.table, "file": source_file},
    ).fetchone()


def _retire_previous_load(con: duckdb.DuckDBPyConnection, ctx: _LoadContext) -> None:
    con.execute(
        f"DELETE FROM {bronze_table(ctx.spec)} WHERE _source_file = $file",
        {"file": ctx.file.relative},
    )
    con.execute(
        f"UPDATE {QUARANTINE} SET released_at = $now, "
        "release_reason = 'superseded: the file was loaded again' "
        "WHERE source = $source AND source_file = $file AND released_at IS NULL "
        f"AND check_name = {string_literal(LOAD_CHECK_NAME)}",
        {"now": ctx.loaded_at, "source": ctx.spec.table, "file": ctx.file.relative},
    )
    con.execute(
        f"UPDATE {LOAD_MANIFEST} SET is_current = false "
        "WHERE source = $source AND source_file = $file",
        {"source": ctx.spec.table, "file": ctx.file.relative},
    )


def _record_manifest(
    con: duckdb.DuckDBPyConnection,
    ctx: _LoadContext,
    digest: str,
    result: FileLoadResult,
    header: list[str] | None,
) -> None:
    con.execute(
        f"""
        INSERT INTO {LOAD_MANIFEST} VALUES ($source, $source_file, $file_date, $size, $digest,
            $status, $read, $loaded, $quarantined, $header, $message, $batch_id, $run_id,
            $loaded_at, true)
        """,
        {
            **_params_without(ctx, "partition_key"),
            "size": ctx.file.size,
            "digest": digest,
            "status": result.status,
            "read": result.rows_read,
            "loaded": result.rows_loaded,
            "quarantined": result.rows_quarantined,
            "header": json.dumps(header) if header is not None else None,
            "message": result.message,
        },
    )


def load_file(
    con: duckdb.DuckDBPyConnection,
    spec: SourceSpec,
    file: LandingFile,
    run_id: str | None = None,
    force: bool = False,
) -> FileLoadResult:
    """Load one landing file into ``bronze.<spec.table>``; see the module docstring."""
    digest = file.sha256()
    previous = _current_manifest_entry(con, spec, file.relative)
    if previous and previous[0] == digest and not force:
        return FileLoadResult(
            spec.table, file.relative, file.file_date, "skipped", 0, 0, 0,
            f"already loaded with the same content (status {previous[1]})", None,
        )  # fmt: skip
    ctx = _LoadContext(spec, file, uuid.uuid4().hex, run_id, datetime.now(UTC).replace(tzinfo=None))
    staged: StagedFile | None = None
    unreadable: str | None = None
    try:  # staging only writes temporary tables, so it runs before the transaction
        staged = stage_file(con, file.path)
    except FileRejected as exc:
        unreadable = f"{file.relative}: file rejected: {exc}"
    con.begin()
    try:
        if previous:
            _retire_previous_load(con, ctx)
        if staged is None:
            _record_unreadable_file(con, ctx, unreadable or "unreadable")
            result = _result(ctx, "rejected", 0, 0, 0, unreadable)
        else:
            result = _load_staged(con, ctx, staged)
        _record_manifest(con, ctx, digest, result, staged.header if staged else None)
        con.commit()
    except Exception:
        con.rollback()
        raise
    return result


def _result(
    ctx: _LoadContext, status: str, read: int, loaded: int, quarantined: int, message: str | None
) -> FileLoadResult:
    return FileLoadResult(
        ctx.spec.table, ctx.file.relative, ctx.file.file_date, status,
        read, loaded, quarantined, message, ctx.batch_id,
    )  # fmt: skip


def _load_staged(
    con: duckdb.DuckDBPyConnection, ctx: _LoadContext, staged: StagedFile
) -> FileLoadResult:
    try:
        loaded, quarantined = _promote_rows(con, ctx, staged)
    except FileRejected as exc:
        message = f"{ctx.file.relative}: file rejected: {exc}"
        quarantined = _quarantine_staged_rows(con, ctx, staged.header, message)
        quarantined += _quarantine_rejected_lines(con, ctx, staged)
        return _result(ctx, "rejected", staged.rows_read, 0, quarantined, message)
    quarantined += _quarantine_rejected_lines(con, ctx, staged)
    message = (
        f"{quarantined} of {staged.rows_read} rows quarantined (see quality.quarantine)"
        if quarantined
        else None
    )
    return _result(ctx, "loaded", staged.rows_read, loaded, quarantined, message)


def _record_unreadable_file(
    con: duckdb.DuckDBPyConnection, ctx: _LoadContext, message: str
) -> None:
    """A file with no readable rows still leaves a trace in quarantine (source_row empty)."""
    con.execute(
        f"""
        INSERT INTO {QUARANTINE} (source, source_file, source_row, column_name, reason,
            check_name, partition_key, original_values, batch_id, run_id, quarantined_at)
        VALUES ($source, $source_file, NULL, NULL, $reason, {string_literal(LOAD_CHECK_NAME)},
                $partition_key, NULL, $batch_id, $run_id, $loaded_at)
        """,
        {**_params_without(ctx, "file_date"), "reason": message},
    )


def load_files(
    con: duckdb.DuckDBPyConnection,
    spec: SourceSpec,
    files: Iterable[LandingFile],
    run_id: str | None = None,
    force: bool = False,
) -> list[FileLoadResult]:
    ensure_bronze_table(con, spec)
    return [load_file(con, spec, f, run_id=run_id, force=force) for f in files]
