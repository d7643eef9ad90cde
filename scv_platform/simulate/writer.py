"""Deterministic file writers: CSV (plain or gzip), Parquet, xlsx repacking, day slicing.

Same table => same bytes: gzip headers carry no time or name, zip entries in workbooks
get a fixed date, nothing depends on the wall clock.
"""

from __future__ import annotations

import gzip
import io
import re
import zipfile
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from scv_platform.simulate.text import PAIRS, ascii_matrix, digit_matrix, matrix_to_arrow

DAY_SECONDS = 86_400


@dataclass
class WriteLog:
    """Files and rows written per landing entity."""

    entities: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, entity: str, rows: int) -> None:
        entry = self.entities.setdefault(entity, {"files": 0, "rows": 0})
        entry["files"] += 1
        entry["rows"] += int(rows)


class Landing:
    """The landing-zone root being written, with its log of files and rows.

    With ``workers`` > 0 files are encoded and written by background threads (Arrow and
    zlib release the GIL) while the caller prepares the next table; ``close`` waits for
    them and re-raises the first error. At most ``2 * workers`` files wait in memory.
    """

    def __init__(self, root: Path, workers: int = 0) -> None:
        self.root = root
        self.log = WriteLog()
        self._executor = ThreadPoolExecutor(workers, "landing-writer") if workers else None
        self._pending: deque[Future[None]] = deque()
        self._limit = 2 * workers

    def _submit(self, job: Callable[..., None], *args: object) -> None:
        if self._executor is None:
            job(*args)
            return
        while len(self._pending) >= self._limit:
            self._pending.popleft().result()
        self._pending.append(self._executor.submit(job, *args))

    def csv(self, entity: str, name: str, table: pa.Table, compress: bool = False) -> Path:
        path = self.root / entity / name
        path.parent.mkdir(parents=True, exist_ok=True)
        self._submit(write_csv, table, path, compress)
        self.log.add(entity, table.num_rows)
        return path

    def parquet(self, entity: str, name: str, table: pa.Table) -> Path:
        path = self.root / entity / name
        path.parent.mkdir(parents=True, exist_ok=True)
        self._submit(write_parquet, table, path)
        self.log.add(entity, table.num_rows)
        return path

    def close(self) -> None:
        try:
            while self._pending:
                self._pending.popleft().result()
        finally:
            if self._executor is not None:
                self._executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> Landing:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def csv_bytes(table: pa.Table) -> bytes:
    """UTF-8 CSV with a header row, comma separated, strings in double quotes."""
    sink = io.BytesIO()
    pacsv.write_csv(table, sink, pacsv.WriteOptions(include_header=True, batch_size=65_536))
    return sink.getvalue()


def write_csv(table: pa.Table, path: Path, compress: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = csv_bytes(table)
    if compress:
        data = gzip.compress(data, compresslevel=5, mtime=0)
    path.write_bytes(data)


def write_parquet(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="snappy")


def timestamps(epoch_seconds: np.ndarray) -> pa.Array:
    """Epoch seconds as naive UTC timestamps."""
    return pa.array(np.asarray(epoch_seconds, dtype=np.int64), type=pa.timestamp("s"))


def _date_matrix(days: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 as (n, 10) ASCII ``YYYY-MM-DD``."""
    day = days.astype("datetime64[D]")
    month = day.astype("datetime64[M]")
    year = day.astype("datetime64[Y]").astype(np.int64) + 1970
    return ascii_matrix(
        digit_matrix(year, 4),
        b"-",
        digit_matrix(month.astype(np.int64) % 12 + 1, 2),
        b"-",
        digit_matrix((day - month).astype(np.int64) + 1, 2),
        rows=days.size,
    )


def iso_text(epoch_seconds: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """Epoch seconds as ISO 8601 text ``YYYY-MM-DDTHH:MM:SS`` (null where mask is True)."""
    epoch = np.asarray(epoch_seconds, dtype=np.int64)
    days = epoch // DAY_SECONDS
    second = epoch - days * DAY_SECONDS
    out = np.empty((epoch.size, 19), dtype=np.uint8)
    if epoch.size and days.min() == days.max():  # one day (daily files): one date string
        out[:, :10] = _date_matrix(days[:1])
    else:
        unique_days, which = np.unique(days, return_inverse=True)
        out[:, :10] = _date_matrix(unique_days)[which]
    out[:, 10] = ord("T")
    out[:, 11:13] = PAIRS[second // 3600]
    out[:, 13] = ord(":")
    out[:, 14:16] = PAIRS[second // 60 % 60]
    out[:, 16] = ord(":")
    out[:, 17:19] = PAIRS[second % 60]
    text = matrix_to_arrow(out)
    if mask is None or not np.any(mask):
        return text
    return pc.if_else(pa.array(mask), pa.scalar(None, pa.string()), text)


def dates(days64: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """datetime64[D] values as Arrow dates (written as YYYY-MM-DD)."""
    values = np.asarray(days64, dtype="datetime64[D]").astype(np.int32)
    return pa.array(values, type=pa.int32(), mask=mask).cast(pa.date32())


def money(values: np.ndarray, mask: np.ndarray | None = None, scale: int = 2) -> pa.Array:
    """Amounts as decimals with exactly ``scale`` places (written as 12.50)."""
    rounded = np.round(np.asarray(values, dtype=np.float64), scale)
    return pc.cast(pa.array(rounded, mask=mask), pa.decimal128(14, scale))


def text(values: np.ndarray) -> pa.Array:
    """Strings with empty values as nulls (written as empty CSV fields)."""
    array = pa.array(np.asarray(values), type=pa.string(), from_pandas=True)
    return pc.if_else(pc.equal(array, ""), pa.scalar(None, pa.string()), array)


def day_slices(day_index: np.ndarray, days: int) -> Iterator[tuple[int, slice]]:
    """(day, slice) for each day of rows sorted by day."""
    bounds = np.searchsorted(day_index, np.arange(days + 1), side="left")
    for day in range(days):
        yield day, slice(int(bounds[day]), int(bounds[day + 1]))


_FIXED_ZIP_TIME = (2000, 1, 1, 0, 0, 0)
_CORE_TIMES = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def repack_xlsx(path: Path, moment: date) -> None:
    """Rewrite a workbook so that it is byte-identical for identical content: fixed zip entry
    times and fixed document created/modified properties."""
    stamp = datetime(moment.year, moment.month, moment.day).strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(path) as source:
        entries = [(info.filename, source.read(info.filename)) for info in source.infolist()]
    sink = io.BytesIO()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for name, data in entries:
            if name == "docProps/core.xml":
                data = _CORE_TIMES.sub(rb"\g<1>" + stamp.encode() + rb"\g<3>", data)
            info = zipfile.ZipInfo(name, date_time=_FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            target.writestr(info, data)
    path.write_bytes(sink.getvalue())
