"""Load landing files into bronze on Snowflake: ``PUT`` to an internal stage, ``COPY INTO``.

The same rules as on DuckDB (:mod:`scv_platform.sources.loader`), from the same shared code
(:mod:`scv_platform.sources.promotion`): the manifest skips a re-delivered file with the same
SHA-256 and replaces one with new content; every row is typed by the contract; a row that
does not parse goes to ``quality.quarantine`` with the same reason text; ``rows read = rows
loaded + rows quarantined`` for every file.

- CSV and CSV.gz files sharing a header are PUT together to a temporary stage and copied as
  text by one ``COPY INTO`` with ``ON_ERROR = CONTINUE``, each row with its file
  (``METADATA$FILENAME``) and line (``METADATA$FILE_ROW_NUMBER``); a file with rejected
  records is validated again (``VALIDATION_MODE = RETURN_ALL_ERRORS``) so that every
  rejected record reaches quarantine with Snowflake's reason and its text.
- Parquet files and workbooks are read into text columns by the same staging code as on
  DuckDB (header rules, row numbers), written as Parquet, PUT and copied by column name.
- Typing, quarantine and manifest run in Snowflake; rows, quarantine and manifest of a
  batch commit in one transaction.

A Snowflake emulator (fakesnow, a host on loopback) has no COPY transformation, no
``ON_ERROR = CONTINUE`` and guesses CSV column types (text would be altered): there CSV
files take the Parquet path too, so everything but the CSV ``COPY`` is exercised by tests.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from scv_platform.sources.landing import LandingFile
from scv_platform.sources.loader import size_bounded
from scv_platform.sources.promotion import (
    BRONZE_SCHEMA,
    FileLoadResult,
    Load,
    bad_line_reason,
    drop_typed,
    ensure_bronze_tables,
    file_result,
    loaded_message,
    manifest_entries,
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
    PATH_COLUMN,
    RAW_TABLE,
    ROW_COLUMN,
    FileRejected,
    csv_header,
    stage_file,
)
from scv_platform.warehouse.dialect import SNOWFLAKE
from scv_platform.warehouse.sql import quote_identifier, string_literal

STAGE = f"{BRONZE_SCHEMA}.scv_landing"
CSV_FORMAT = (
    "TYPE = CSV FIELD_DELIMITER = ',' SKIP_HEADER = 1 FIELD_OPTIONALLY_ENCLOSED_BY = '\"' "
    "ESCAPE_UNENCLOSED_FIELD = NONE NULL_IF = () COMPRESSION = AUTO"
)


ManifestEntry = tuple[LandingFile, FileLoadResult, list[str] | None]


@dataclass
class _Batch:
    """Files loaded together: their staged names, batch ids and what went wrong per file."""

    files: list[LandingFile]
    header: list[str]
    raw_table: str
    prefix: str
    batch_ids: dict[str, str] = field(default_factory=dict)
    bad_lines: dict[str, list[tuple]] = field(default_factory=lambda: defaultdict(list))
    unreadable: dict[str, str] = field(default_factory=dict)


def _stage_path(file: LandingFile) -> str:
    """How staged rows name their file: the file name (unique within a source folder)."""
    return file.path.name


def _put(cur: Any, paths: Sequence[Path], prefix: str) -> None:
    """PUT ``paths`` (from one temporary folder) to ``@STAGE/prefix/`` in one statement."""
    with tempfile.TemporaryDirectory(prefix="scv_put_") as folder:
        for path in paths:
            target = Path(folder) / path.name
            try:
                os.link(path, target)
            except OSError:  # another file system: copy instead
                shutil.copyfile(path, target)
        glob = (Path(folder) / "*").as_posix()
        cur.execute(
            f"PUT {string_literal('file://' + glob)} @{STAGE}/{prefix}/ "
            "AUTO_COMPRESS = FALSE OVERWRITE = TRUE PARALLEL = 8"
        )


def _create_raw(cur: Any, raw_table: str, header: Sequence[str]) -> None:
    columns = ", ".join(f"{quote_identifier(h)} VARCHAR" for h in header)
    cur.execute(
        f"CREATE OR REPLACE TRANSIENT TABLE {raw_table} ({columns}, {PATH_COLUMN} VARCHAR, "
        f"{ROW_COLUMN} BIGINT)"
    )


def _rows_by_name(cur: Any) -> list[dict[str, Any]]:
    names = [d[0].lower() for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _copy_csv(cur: Any, batch: _Batch) -> None:
    """Snowflake: one COPY for the batch; rejected records collected with their reasons."""
    columns = ", ".join(quote_identifier(h) for h in batch.header)
    positions = ", ".join(f"t.${i}" for i in range(1, len(batch.header) + 1))
    cur.execute(
        f"COPY INTO {batch.raw_table} ({columns}, {PATH_COLUMN}, {ROW_COLUMN}) "
        f"FROM (SELECT {positions}, split_part(METADATA$FILENAME, '/', -1), "
        f"METADATA$FILE_ROW_NUMBER + 1 FROM @{STAGE}/{batch.prefix}/ t) "
        f"FILE_FORMAT = ({CSV_FORMAT}) ON_ERROR = CONTINUE FORCE = TRUE"
    )
    by_name = {_stage_path(f): f for f in batch.files}
    for result in _rows_by_name(cur):
        file = by_name.get(str(result["file"]).rsplit("/", 1)[-1])
        if file is None or not result.get("errors_seen"):
            continue
        cur.execute(
            f"COPY INTO {batch.raw_table} ({columns}) "
            f"FROM @{STAGE}/{batch.prefix}/{_stage_path(file)} "
            f"FILE_FORMAT = ({CSV_FORMAT}) VALIDATION_MODE = RETURN_ALL_ERRORS"
        )
        for error in _rows_by_name(cur):
            batch.bad_lines[file.relative].append(
                (
                    error.get("line"),
                    error.get("column_name"),
                    bad_line_reason(str(error.get("error") or "").strip()),
                    json.dumps({"csv_line": error.get("rejected_record")}),
                )
            )


def _prestage(batch: _Batch, folder: Path) -> list[Path]:
    """Each readable file of the batch as text columns with row numbers, written as Parquet
    by the DuckDB staging code; unreadable files and invalid CSV records noted on the batch."""
    written = []
    with duckdb.connect() as local:
        for file in batch.files:
            try:
                staged = stage_file(local, file.path)
            except FileRejected as exc:
                batch.unreadable[file.relative] = rejected_message(file, exc)
                continue
            batch.header = batch.header or staged.header
            batch.bad_lines[file.relative] += [
                (line.source_row, line.column_name, bad_line_reason(line.reason),
                 json.dumps({"csv_line": line.raw_line}))
                for line in staged.rejected_lines
            ]  # fmt: skip
            columns = ", ".join(
                f"CAST({quote_identifier(h)} AS VARCHAR) AS {quote_identifier(h)}"
                for h in staged.header
            )
            target = folder / f"{file.path.name}.parquet"
            local.execute(
                f"COPY (SELECT {columns}, {string_literal(_stage_path(file))} AS {PATH_COLUMN}, "
                f"{ROW_COLUMN} FROM {RAW_TABLE}) TO {string_literal(str(target))} (FORMAT PARQUET)"
            )
            written.append(target)
    return written


class SnowflakeLoader:
    """Loads one source's files on an open Snowflake cursor (see the module docstring)."""

    def __init__(self, cur: Any, spec: SourceSpec, run_id: str | None, emulator: bool) -> None:
        self.cur = cur
        self.emulator = emulator
        self.load = Load(spec, run_id, datetime.now(UTC).replace(tzinfo=None))

    def load_files(self, files: Sequence[LandingFile], force: bool) -> list[FileLoadResult]:
        spec = self.load.spec
        ensure_bronze_tables(self.cur, [spec])
        self.previous = manifest_entries(self.cur, SNOWFLAKE, spec) if files else {}
        self.digests = {f.relative: f.sha256() for f in files}
        skip = to_skip(files, self.digests, self.previous, force)
        results: dict[str, FileLoadResult] = {}
        groups: dict[tuple[str, ...], list[LandingFile]] = defaultdict(list)
        singles: list[LandingFile] = []
        for file in files:
            if file.relative in skip:
                status = self.previous[file.relative][1]
                results[file.relative] = file_result(
                    spec, file, None, "skipped", (0, 0, 0), skipped_message(status)
                )
            elif file.path.suffix.lower() in {".csv", ".gz"}:
                try:
                    groups[tuple(csv_header(file.path))].append(file)
                except FileRejected as exc:
                    results[file.relative] = self._reject(file, rejected_message(file, exc))
            else:
                singles.append(file)
        if len(skip) < len(files):
            self.cur.execute(f"CREATE TEMPORARY STAGE IF NOT EXISTS {STAGE}")
        for header, group in groups.items():
            for together in size_bounded(group):
                batch = self._new_batch(together, list(header))
                if self.emulator:  # its COPY guesses CSV column types: text would be altered
                    self._copy_prestaged(batch)
                else:
                    _put(self.cur, [f.path for f in together], batch.prefix)
                    _create_raw(self.cur, batch.raw_table, batch.header)
                    _copy_csv(self.cur, batch)
                results |= self._promote(batch)
        for file in singles:
            batch = self._new_batch([file], [])
            if self._copy_prestaged(batch):
                results |= self._promote(batch)
            else:
                results[file.relative] = self._reject(file, batch.unreadable[file.relative])
        return [results[f.relative] for f in files]

    def _new_batch(self, files: list[LandingFile], header: list[str]) -> _Batch:
        key = uuid.uuid4().hex
        return _Batch(
            files=files,
            header=header,
            raw_table=f"{BRONZE_SCHEMA}._scv_raw_{key[:16]}",
            prefix=f"{self.load.spec.table}/{key}",
            batch_ids={f.relative: uuid.uuid4().hex for f in files},
        )

    def _copy_prestaged(self, batch: _Batch) -> bool:
        """Files read by DuckDB as text (:func:`_prestage`), PUT as Parquet, copied by name.

        False when nothing could be read and the batch has no header to stage rows under.
        """
        with tempfile.TemporaryDirectory(prefix="scv_prestage_") as folder:
            written = _prestage(batch, Path(folder))
            if not batch.header:
                return False
            _create_raw(self.cur, batch.raw_table, batch.header)
            if written:
                _put(self.cur, written, batch.prefix)
        if written:
            self.cur.execute(
                f"COPY INTO {batch.raw_table} FROM @{STAGE}/{batch.prefix}/ FILE_FORMAT = "
                "(TYPE = PARQUET) MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE FORCE = TRUE"
            )
        return True

    def _register(self, files: Sequence[LandingFile], batch_ids: dict[str, str]) -> None:
        register_files(
            self.cur,
            SNOWFLAKE,
            [
                (_stage_path(f), f, batch_ids[f.relative], f.relative in self.previous)
                for f in files
            ],
        )

    def _commit(self, write: Callable[[], list[ManifestEntry]]) -> None:
        """In one transaction: retire earlier loads of the registered files, ``write`` rows
        and quarantine, record the manifest entries ``write`` returns."""
        self.cur.execute("BEGIN")
        try:
            retire_previous_loads(self.cur, SNOWFLAKE, self.load)
            entries = write()
            record_manifest(
                self.cur,
                SNOWFLAKE,
                self.load,
                [(f, self.digests[f.relative], r, header) for f, r, header in entries],
            )
            self.cur.execute("COMMIT")
        except BaseException:
            self.cur.execute("ROLLBACK")
            raise

    def _reject(self, file: LandingFile, message: str) -> FileLoadResult:
        """A file nothing could be read from: one quarantine row with the reason."""
        batch_id = uuid.uuid4().hex
        result = file_result(self.load.spec, file, batch_id, "rejected", (0, 0, 0), message)
        self._register([file], {file.relative: batch_id})

        def write() -> list[ManifestEntry]:
            rows = [(None, None, message, None)]
            quarantine_rows(self.cur, SNOWFLAKE, self.load, file, batch_id, rows)
            return [(file, result, None)]

        self._commit(write)
        return result

    def _promote(self, batch: _Batch) -> dict[str, FileLoadResult]:
        """Type the batch's staged rows, then commit rows, quarantine and manifest."""
        results: dict[str, FileLoadResult] = {}
        try:
            self._register(batch.files, batch.batch_ids)
            try:
                type_rows(self.cur, SNOWFLAKE, self.load.spec, batch.header, batch.raw_table)
                problem = None
            except FileRejected as exc:
                problem = str(exc)
            self._commit(lambda: self._write_batch(batch, problem, results))
        finally:
            drop_typed(self.cur, SNOWFLAKE)
            self.cur.execute(f"DROP TABLE IF EXISTS {batch.raw_table}")
        return results

    def _write_batch(
        self, batch: _Batch, problem: str | None, results: dict[str, FileLoadResult]
    ) -> list[ManifestEntry]:
        """Rows to bronze and quarantine (all to quarantine when the header is ``problem``)."""
        spec, load = self.load.spec, self.load
        if problem is None:
            counts = promote_typed(self.cur, SNOWFLAKE, load)
        else:
            staged = quarantine_staged_rows(
                self.cur, SNOWFLAKE, load, batch.header, batch.raw_table, problem
            )
            counts = {f: (0, n) for f, n in staged.items()}
        entries: list[ManifestEntry] = []
        for file in batch.files:
            bid = batch.batch_ids[file.relative]
            if file.relative in batch.unreadable:
                message = batch.unreadable[file.relative]
                quarantine_rows(self.cur, SNOWFLAKE, load, file, bid, [(None, None, message, None)])
                result = file_result(spec, file, bid, "rejected", (0, 0, 0), message)
                entries.append((file, result, None))
            else:
                bad = batch.bad_lines.get(file.relative, [])
                quarantine_rows(self.cur, SNOWFLAKE, load, file, bid, bad)
                loaded, quarantined = counts.get(file.relative, (0, 0))
                quarantined += len(bad)
                read = loaded + quarantined
                if problem is None:
                    status, message = "loaded", loaded_message(read, quarantined)
                else:
                    status, message = "rejected", rejected_message(file, problem)
                result = file_result(spec, file, bid, status, (read, loaded, quarantined), message)
                entries.append((file, result, batch.header))
            results[file.relative] = result
        return entries
