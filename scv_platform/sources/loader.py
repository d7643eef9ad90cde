"""Load landing files into bronze on DuckDB: type-check, quarantine, reconcile, record.

For every file: ``rows read = rows loaded + rows quarantined``. A file already loaded with
the same content is skipped; a file re-delivered with new content replaces its earlier rows
(and releases their quarantine entries). CSV files that share a header load together in one
read and one transaction (a day range of daily files costs one statement, not one per file);
a file with a problem only the one-file path can describe is loaded alone, in its own
transaction.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime

import duckdb

from scv_platform.sources.landing import LandingFile
from scv_platform.sources.specs import SOURCES, Column, ColumnType, SourceSpec, header_key
from scv_platform.sources.staging import (
    PATH_COLUMN,
    RAW_TABLE,
    ROW_COLUMN,
    BatchNotStaged,
    FileRejected,
    StagedFile,
    check_batch_rejects,
    csv_header,
    drop_staged,
    stage_csv_batch,
    stage_file,
)
from scv_platform.warehouse.operational_tables import (
    LOAD_MANIFEST,
    QUARANTINE,
    ensure_operational_tables,
)
from scv_platform.warehouse.sql import qualified, quote_identifier, string_literal

BRONZE_SCHEMA = "bronze"
LOAD_CHECK_NAME = "bronze_load"
FILES_TABLE = "_files"
BATCH_BYTES = 64 * 1024 * 1024  # files read together stay under this size (bounds memory)
METADATA_COLUMNS = (
    ("_extra_columns", "VARCHAR"),
    ("_source_file", "VARCHAR NOT NULL"),
    ("_source_row", "BIGINT"),
    ("_file_date", "DATE"),
    ("_batch_id", "VARCHAR NOT NULL"),
    ("_loaded_at", "TIMESTAMP NOT NULL"),
)
_QUARANTINE_COLUMNS = (
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
class _Load:
    """What every statement of one load shares."""

    spec: SourceSpec
    run_id: str | None
    loaded_at: datetime

    @property
    def params(self) -> dict[str, object]:
        return {"source": self.spec.table, "run_id": self.run_id, "loaded_at": self.loaded_at}


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
    return f"CAST(json_object({pairs}) AS VARCHAR)" if pairs else "NULL"


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


def _register_files(
    con: duckdb.DuckDBPyConnection, files: Sequence[LandingFile], batch_ids: dict[str, str]
) -> None:
    """The files of this load and their metadata, joined onto staged rows by path."""
    con.execute(f"DROP TABLE IF EXISTS temp.main.{FILES_TABLE}")
    con.execute(
        f"CREATE TEMP TABLE {FILES_TABLE} (path VARCHAR, source_file VARCHAR, file_date DATE, "
        "batch_id VARCHAR, partition_key VARCHAR)"
    )
    con.executemany(
        f"INSERT INTO {FILES_TABLE} VALUES (?, ?, ?, ?, ?)",
        [
            (
                str(f.path),
                f.relative,
                f.file_date,
                batch_ids[f.relative],
                f.file_date.isoformat() if f.file_date else None,
            )
            for f in files
        ],
    )


def _promote_rows(
    con: duckdb.DuckDBPyConnection, load: _Load, header: list[str]
) -> dict[str, tuple[int, int]]:
    """Type-check staged rows; good ones go to bronze, the others to quarantine.

    Returns (loaded, quarantined) per source file. Raises FileRejected before writing
    anything when the header does not carry the contract's required columns.
    """
    mapped, extras = map_header(load.spec, header)
    typed_columns: list[str] = []
    problems: list[str] = []
    problem_columns: list[str] = []
    for column in load.spec.columns:
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
    typed_names = [quote_identifier(f"__typed_{c.name}") for c in load.spec.columns]
    con.execute("DROP TABLE IF EXISTS temp.main._typed")
    con.execute(
        f"""
        CREATE TEMP TABLE _typed AS
        SELECT {", ".join(typed_names)}, {_json_of(extras)} AS __extra, {ROW_COLUMN},
               __problems, __problem_columns,
               CASE WHEN __problems IS NOT NULL THEN {_json_of(header)} END AS __original,
               f.source_file AS __file, f.file_date AS __file_date, f.batch_id AS __batch_id,
               f.partition_key AS __partition_key
        FROM (
            SELECT *, {problem_text} AS __problems, {problem_cols} AS __problem_columns
            FROM (SELECT *, {", ".join(typed_columns)} FROM {RAW_TABLE})
        ) AS t
        JOIN {FILES_TABLE} AS f ON f.path = t.{PATH_COLUMN}
        """
    )
    drop_staged(con)  # free the text copy early
    names = [c.name for c in load.spec.columns] + [name for name, _ in METADATA_COLUMNS]
    values = [*typed_names, "__extra", "__file", ROW_COLUMN, "__file_date", "__batch_id"]
    con.execute(
        f"INSERT INTO {bronze_table(load.spec)} ({', '.join(names)}) "
        f"SELECT {', '.join(values)}, $loaded_at FROM _typed WHERE __problems IS NULL",
        {"loaded_at": load.loaded_at},
    )
    con.execute(
        f"""
        INSERT INTO {QUARANTINE} ({_QUARANTINE_COLUMNS})
        SELECT $source, __file, {ROW_COLUMN}, __problem_columns, __problems,
               {string_literal(LOAD_CHECK_NAME)}, __partition_key, __original,
               __batch_id, $run_id, $loaded_at
        FROM _typed WHERE __problems IS NOT NULL
        """,
        load.params,
    )
    counts = con.execute(
        "SELECT __file, count(*) FILTER (WHERE __problems IS NULL), "
        "count(*) FILTER (WHERE __problems IS NOT NULL) FROM _typed GROUP BY 1"
    ).fetchall()
    con.execute("DROP TABLE IF EXISTS temp.main._typed")
    return {file: (loaded, quarantined) for file, loaded, quarantined in counts}


def _quarantine_staged_rows(
    con: duckdb.DuckDBPyConnection, load: _Load, header: list[str], reason: str
) -> int:
    con.execute(
        f"""
        INSERT INTO {QUARANTINE} ({_QUARANTINE_COLUMNS})
        SELECT $source, f.source_file, r.{ROW_COLUMN}, NULL, $reason,
               {string_literal(LOAD_CHECK_NAME)}, f.partition_key, {_json_of(header)},
               f.batch_id, $run_id, $loaded_at
        FROM {RAW_TABLE} AS r JOIN {FILES_TABLE} AS f ON f.path = r.{PATH_COLUMN}
        """,
        {**load.params, "reason": reason},
    )
    return con.execute(f"SELECT count(*) FROM {RAW_TABLE}").fetchone()[0]


def _quarantine_rows(
    con: duckdb.DuckDBPyConnection,
    load: _Load,
    file: LandingFile,
    batch_id: str,
    rows: list[tuple[int | None, str | None, str, str | None]],
) -> None:
    """Quarantine rows that never reached a table: (row, column, reason, original JSON)."""
    if not rows:
        return
    con.executemany(
        f"INSERT INTO {QUARANTINE} ({_QUARANTINE_COLUMNS}) "
        f"VALUES (?, ?, ?, ?, ?, {string_literal(LOAD_CHECK_NAME)}, ?, ?, ?, ?, ?)",
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


def _manifest_entries(
    con: duckdb.DuckDBPyConnection, spec: SourceSpec, files: Sequence[LandingFile]
) -> dict[str, tuple[str, str]]:
    rows = con.execute(
        f"SELECT source_file, content_sha256, status FROM {LOAD_MANIFEST} "
        "WHERE source = $source AND is_current AND source_file IN (SELECT unnest($files))",
        {"source": spec.table, "files": [f.relative for f in files]},
    ).fetchall()
    return {file: (digest, status) for file, digest, status in rows}


def _retire_previous_loads(
    con: duckdb.DuckDBPyConnection, load: _Load, source_files: list[str]
) -> None:
    if not source_files:
        return
    params = {"files": source_files}
    con.execute(
        f"DELETE FROM {bronze_table(load.spec)} WHERE _source_file IN (SELECT unnest($files))",
        params,
    )
    con.execute(
        f"UPDATE {QUARANTINE} SET released_at = $now, "
        "release_reason = 'superseded: the file was loaded again' "
        "WHERE source = $source AND source_file IN (SELECT unnest($files)) "
        f"AND released_at IS NULL AND check_name = {string_literal(LOAD_CHECK_NAME)}",
        {**params, "now": load.loaded_at, "source": load.spec.table},
    )
    con.execute(
        f"UPDATE {LOAD_MANIFEST} SET is_current = false "
        "WHERE source = $source AND source_file IN (SELECT unnest($files))",
        {**params, "source": load.spec.table},
    )


def _record_manifest(
    con: duckdb.DuckDBPyConnection,
    load: _Load,
    entries: list[tuple[LandingFile, str, FileLoadResult, list[str] | None]],
) -> None:
    con.executemany(
        f"INSERT INTO {LOAD_MANIFEST} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, true)",
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


def _result(
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


def _loaded_message(read: int, quarantined: int) -> str | None:
    if not quarantined:
        return None
    return f"{quarantined} of {read} rows quarantined (see quality.quarantine)"


@contextmanager
def _transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """BEGIN ... COMMIT, rolled back on any error."""
    con.begin()
    try:
        yield
        con.commit()
    except Exception:
        con.rollback()
        raise


def _load_batch(
    con: duckdb.DuckDBPyConnection,
    load: _Load,
    files: list[LandingFile],
    header: list[str],
    digests: dict[str, str],
    previous: dict[str, tuple[str, str]],
) -> list[FileLoadResult]:
    """Files with the same header: one read, one transaction (BatchNotStaged if it can't)."""
    stage_csv_batch(con, [f.path for f in files], header)
    batch_ids = {f.relative: uuid.uuid4().hex for f in files}
    with _transaction(con):
        _retire_previous_loads(con, load, [f.relative for f in files if f.relative in previous])
        _register_files(con, files, batch_ids)
        try:
            counts = _promote_rows(con, load, header)
        except duckdb.Error as exc:  # the reader failed on one of the files
            raise BatchNotStaged(str(exc).splitlines()[0]) from exc
        check_batch_rejects(con)
        results = []
        for file in files:
            loaded, quarantined = counts.get(file.relative, (0, 0))
            read = loaded + quarantined
            results.append(
                _result(
                    load.spec,
                    file,
                    batch_ids[file.relative],
                    "loaded",
                    (read, loaded, quarantined),
                    _loaded_message(read, quarantined),
                )
            )
        _record_manifest(
            con,
            load,
            [(f, digests[f.relative], r, header) for f, r in zip(files, results, strict=True)],
        )
    return results


def _load_single(
    con: duckdb.DuckDBPyConnection,
    load: _Load,
    file: LandingFile,
    digest: str,
    replaces: bool,
) -> FileLoadResult:
    """One file alone: the path that can describe every way a file can be wrong."""
    batch_id = uuid.uuid4().hex
    staged: StagedFile | None = None
    unreadable: str | None = None
    try:  # staging only writes temporary tables, so it runs before the transaction
        staged = stage_file(con, file.path)
    except FileRejected as exc:
        unreadable = f"{file.relative}: file rejected: {exc}"
    with _transaction(con):
        if replaces:
            _retire_previous_loads(con, load, [file.relative])
        _register_files(con, [file], {file.relative: batch_id})
        if staged is None:
            _quarantine_rows(con, load, file, batch_id, [(None, None, unreadable or "", None)])
            result = _result(load.spec, file, batch_id, "rejected", (0, 0, 0), unreadable)
        else:
            result = _load_staged(con, load, file, batch_id, staged)
        header = staged.header if staged else None
        _record_manifest(con, load, [(file, digest, result, header)])
    return result


def _load_staged(
    con: duckdb.DuckDBPyConnection,
    load: _Load,
    file: LandingFile,
    batch_id: str,
    staged: StagedFile,
) -> FileLoadResult:
    bad_lines = [
        (line.source_row, line.column_name, f"not a valid CSV record ({line.reason})",
         json.dumps({"csv_line": line.raw_line}))
        for line in staged.rejected_lines
    ]  # fmt: skip
    try:
        loaded, quarantined = _promote_rows(con, load, staged.header).get(file.relative, (0, 0))
    except FileRejected as exc:
        message = f"{file.relative}: file rejected: {exc}"
        quarantined = _quarantine_staged_rows(con, load, staged.header, message)
        _quarantine_rows(con, load, file, batch_id, bad_lines)
        counts = (staged.rows_read, 0, quarantined + len(bad_lines))
        return _result(load.spec, file, batch_id, "rejected", counts, message)
    _quarantine_rows(con, load, file, batch_id, bad_lines)
    quarantined += len(bad_lines)
    counts = (staged.rows_read, loaded, quarantined)
    message = _loaded_message(staged.rows_read, quarantined)
    return _result(load.spec, file, batch_id, "loaded", counts, message)


def _size_bounded(files: list[LandingFile], limit: int = BATCH_BYTES) -> list[list[LandingFile]]:
    """Consecutive runs of files whose sizes add up to at most ``limit`` (one file at least)."""
    batches: list[list[LandingFile]] = []
    size = 0
    for file in files:
        if not batches or size + file.size > limit:
            batches.append([])
            size = 0
        batches[-1].append(file)
        size += file.size
    return batches


def _batchable_header(spec: SourceSpec, file: LandingFile) -> tuple[str, ...] | None:
    """The header of a CSV file that can load with others, or None for the one-file path."""
    if file.path.suffix.lower() not in {".csv", ".gz"} or file.size == 0:
        return None
    try:
        header = csv_header(file.path)
        map_header(spec, header)
    except FileRejected:
        return None
    return tuple(header)


def load_files(
    con: duckdb.DuckDBPyConnection,
    spec: SourceSpec,
    files: Sequence[LandingFile],
    run_id: str | None = None,
    force: bool = False,
) -> list[FileLoadResult]:
    """Load ``files`` into ``bronze.<spec.table>``; see the module docstring."""
    ensure_bronze_table(con, spec)
    load = _Load(spec, run_id, datetime.now(UTC).replace(tzinfo=None))
    previous = _manifest_entries(con, spec, files) if files else {}
    digests = {f.relative: f.sha256() for f in files}
    results: dict[str, FileLoadResult] = {}
    groups: dict[tuple[str, ...], list[LandingFile]] = defaultdict(list)
    singles: list[LandingFile] = []
    for file in files:
        earlier = previous.get(file.relative)
        if earlier and earlier[0] == digests[file.relative] and not force:
            message = f"already loaded with the same content (status {earlier[1]})"
            results[file.relative] = _result(spec, file, None, "skipped", (0, 0, 0), message)
        elif (header := _batchable_header(spec, file)) is not None:
            groups[header].append(file)
        else:
            singles.append(file)
    for header, group in groups.items():
        for files_together in _size_bounded(group):
            try:
                batch = _load_batch(con, load, files_together, list(header), digests, previous)
                results |= {r.source_file: r for r in batch}
            except BatchNotStaged:
                singles += files_together
    for file in singles:
        replaces = file.relative in previous
        results[file.relative] = _load_single(con, load, file, digests[file.relative], replaces)
    return [results[f.relative] for f in files]
