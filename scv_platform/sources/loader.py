"""Load landing files into bronze on DuckDB: type-check, quarantine, reconcile, record.

For every file: ``rows read = rows loaded + rows quarantined``. A file already loaded with
the same content is skipped; a file re-delivered with new content replaces its earlier rows
(and releases their quarantine entries). CSV files that share a header load together in one
read and one transaction (a day range of daily files costs one statement, not one per file);
a file with a problem only the one-file path can describe is loaded alone, in its own
transaction. Typing, reasons and the manifest are shared with the Snowflake loader
(:mod:`scv_platform.sources.promotion`).
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime

import duckdb

from scv_platform.sources.landing import LandingFile
from scv_platform.sources.promotion import (
    FileLoadResult,
    Load,
    bad_line_reason,
    drop_typed,
    ensure_bronze_tables,
    file_result,
    loaded_message,
    manifest_entries,
    map_header,
    promote_typed,
    quarantine_rows,
    quarantine_staged_rows,
    record_manifest,
    register_files,
    rejected_message,
    retire_previous_loads,
    skipped_message,
    to_skip,
    type_rows,
)
from scv_platform.sources.specs import SourceSpec
from scv_platform.sources.staging import (
    RAW_TABLE,
    BatchNotStaged,
    FileRejected,
    StagedFile,
    check_batch_rejects,
    csv_header,
    drop_staged,
    stage_csv_batch,
    stage_file,
)
from scv_platform.warehouse.dialect import DUCKDB

BATCH_BYTES = 64 * 1024 * 1024  # files read together stay under this size (bounds memory)


def _promote_rows(
    con: duckdb.DuckDBPyConnection, load: Load, header: list[str], batch: bool = False
) -> dict[str, tuple[int, int]]:
    """Type-check staged rows; good ones go to bronze, the others to quarantine.

    ``batch``: the rows were staged by :func:`stage_csv_batch` (lines by position).
    Returns (loaded, quarantined) per source file. Raises FileRejected before writing
    anything when the header does not carry the contract's required columns.
    """
    type_rows(con, DUCKDB, load.spec, header, RAW_TABLE, rows_by_position=batch)
    drop_staged(con)  # free the text copy early
    counts = promote_typed(con, DUCKDB, load)
    drop_typed(con, DUCKDB)
    return counts


def _register(
    con: duckdb.DuckDBPyConnection,
    files: Sequence[LandingFile],
    batch_ids: dict[str, str],
    previous: dict[str, tuple[str, str]],
) -> None:
    register_files(
        con,
        DUCKDB,
        [(str(f.path), f, batch_ids[f.relative], f.relative in previous) for f in files],
    )


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
    load: Load,
    files: list[LandingFile],
    header: list[str],
    digests: dict[str, str],
    previous: dict[str, tuple[str, str]],
) -> list[FileLoadResult]:
    """Files with the same header: one read, one transaction (BatchNotStaged if it can't)."""
    stage_csv_batch(con, [f.path for f in files], header)
    batch_ids = {f.relative: uuid.uuid4().hex for f in files}
    with _transaction(con):
        _register(con, files, batch_ids, previous)
        retire_previous_loads(con, DUCKDB, load)
        try:
            counts = _promote_rows(con, load, header, batch=True)
        except duckdb.Error as exc:  # the reader failed on one of the files
            raise BatchNotStaged(str(exc).splitlines()[0]) from exc
        check_batch_rejects(con)
        results = []
        for file in files:
            loaded, quarantined = counts.get(file.relative, (0, 0))
            read = loaded + quarantined
            results.append(
                file_result(
                    load.spec,
                    file,
                    batch_ids[file.relative],
                    "loaded",
                    (read, loaded, quarantined),
                    loaded_message(read, quarantined),
                )
            )
        record_manifest(
            con,
            DUCKDB,
            load,
            [(f, digests[f.relative], r, header) for f, r in zip(files, results, strict=True)],
        )
    return results


def _load_single(
    con: duckdb.DuckDBPyConnection,
    load: Load,
    file: LandingFile,
    digest: str,
    previous: dict[str, tuple[str, str]],
) -> FileLoadResult:
    """One file alone: the path that can describe every way a file can be wrong."""
    batch_id = uuid.uuid4().hex
    staged: StagedFile | None = None
    unreadable: str | None = None
    try:  # staging only writes temporary tables, so it runs before the transaction
        staged = stage_file(con, file.path)
    except FileRejected as exc:
        unreadable = rejected_message(file, exc)
    with _transaction(con):
        _register(con, [file], {file.relative: batch_id}, previous)
        retire_previous_loads(con, DUCKDB, load)
        if staged is None:
            rows = [(None, None, unreadable or "", None)]
            quarantine_rows(con, DUCKDB, load, file, batch_id, rows)
            result = file_result(load.spec, file, batch_id, "rejected", (0, 0, 0), unreadable)
        else:
            result = _load_staged(con, load, file, batch_id, staged)
        header = staged.header if staged else None
        record_manifest(con, DUCKDB, load, [(file, digest, result, header)])
    return result


def _load_staged(
    con: duckdb.DuckDBPyConnection,
    load: Load,
    file: LandingFile,
    batch_id: str,
    staged: StagedFile,
) -> FileLoadResult:
    bad_lines = [
        (line.source_row, line.column_name, bad_line_reason(line.reason),
         json.dumps({"csv_line": line.raw_line}))
        for line in staged.rejected_lines
    ]  # fmt: skip
    try:
        loaded, quarantined = _promote_rows(con, load, staged.header).get(file.relative, (0, 0))
    except FileRejected as exc:
        message = rejected_message(file, exc)
        quarantined = quarantine_staged_rows(
            con, DUCKDB, load, staged.header, RAW_TABLE, str(exc)
        ).get(file.relative, 0)
        quarantine_rows(con, DUCKDB, load, file, batch_id, bad_lines)
        counts = (staged.rows_read, 0, quarantined + len(bad_lines))
        return file_result(load.spec, file, batch_id, "rejected", counts, message)
    quarantine_rows(con, DUCKDB, load, file, batch_id, bad_lines)
    quarantined += len(bad_lines)
    counts = (staged.rows_read, loaded, quarantined)
    message = loaded_message(staged.rows_read, quarantined)
    return file_result(load.spec, file, batch_id, "loaded", counts, message)


def size_bounded(files: list[LandingFile], limit: int = BATCH_BYTES) -> list[list[LandingFile]]:
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


def batchable_header(spec: SourceSpec, file: LandingFile) -> tuple[str, ...] | None:
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
    # line numbers follow the reader's order (promotion.py); the database a run shares with
    # dbt may carry dbt's preserve_insertion_order = false (a setting of the whole database)
    con.execute("SET preserve_insertion_order = true")
    ensure_bronze_tables(con, [spec])
    load = Load(spec, run_id, datetime.now(UTC).replace(tzinfo=None))
    previous = manifest_entries(con, DUCKDB, spec) if files else {}
    digests = {f.relative: f.sha256() for f in files}
    skip = to_skip(files, digests, previous, force)
    results: dict[str, FileLoadResult] = {}
    groups: dict[tuple[str, ...], list[LandingFile]] = defaultdict(list)
    singles: list[LandingFile] = []
    for file in files:
        if file.relative in skip:
            message = skipped_message(previous[file.relative][1])
            results[file.relative] = file_result(spec, file, None, "skipped", (0, 0, 0), message)
        elif (header := batchable_header(spec, file)) is not None:
            groups[header].append(file)
        else:
            singles.append(file)
    for header, group in groups.items():
        for files_together in size_bounded(group):
            try:
                batch = _load_batch(con, load, files_together, list(header), digests, previous)
                results |= {r.source_file: r for r in batch}
            except BatchNotStaged:
                singles += files_together
    for file in singles:
        results[file.relative] = _load_single(con, load, file, digests[file.relative], previous)
    return [results[f.relative] for f in files]
