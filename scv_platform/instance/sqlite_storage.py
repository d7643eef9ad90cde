"""The local Dagster instance's SQLite storage, keeping its database engines open.

Dagster's stock SQLite storage builds a SQLAlchemy engine, opens a connection and disposes of
both for every statement batch it writes: about 10 ms of CPU per event, which a run of 548 day
partitions pays thousands of times. These classes keep one engine per database file (the
index, each run's event shard, the runs database) and reuse its pooled connections. Files,
tables and migrations are Dagster's own, so an instance can switch between this storage and
``storage: sqlite`` at any time. ``dagster.yaml`` selects it with ``storage: custom``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

from dagster._core.storage.base_storage import DagsterStorage
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.runs.sqlite.sqlite_run_storage import SqliteRunStorage
from dagster._core.storage.schedules.sqlite.sqlite_schedule_storage import SqliteScheduleStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._core.storage.sqlite_storage import (
    DagsterSqliteStorage,
    SqliteStorageConfig,
    _event_logs_directory,
    _runs_directory,
    _schedule_directory,
)
from dagster._serdes import ConfigurableClassData
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, Engine

MAX_OPEN_SHARDS = 8
"""Run shards whose engines stay open (most recently used first); the index is one of them."""


def open_engine(conn_string: str) -> Engine:
    """An engine with a connection pool, usable from the event watcher's thread too."""
    return create_engine(
        conn_string,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
    )


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """Run-sharded SQLite event log that reuses an engine per shard (bounded, LRU)."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        super().__init__(base_dir, inst_data)

    def _engine(self, shard: str) -> Engine:
        """The shard's engine, opened on first use; the least recently used one is closed
        when more than :data:`MAX_OPEN_SHARDS` are open. Called under ``_db_lock``."""
        engine = self._engines.pop(shard, None) or open_engine(self.conn_string_for_shard(shard))
        self._engines[shard] = engine
        while len(self._engines) > MAX_OPEN_SHARDS:
            _, oldest = self._engines.popitem(last=False)
            oldest.dispose()
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def _close_engines(self) -> None:
        with self._db_lock:
            while self._engines:
                _, engine = self._engines.popitem()
                engine.dispose()

    def wipe(self) -> None:
        self._close_engines()  # the run shard files are deleted next
        super().wipe()

    def dispose(self) -> None:
        super().dispose()
        self._close_engines()


class PooledSqliteRunStorage(SqliteRunStorage):
    """SQLite run storage that reuses one engine (its pool serves concurrent threads)."""

    def __init__(self, conn_string: str, inst_data: ConfigurableClassData | None = None):
        super().__init__(conn_string, inst_data)
        self._engine: Engine | None = None
        self._engine_lock = threading.Lock()

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        with self._engine_lock:
            if self._engine is None:
                self._engine = open_engine(self._conn_string)
            engine = self._engine
        with engine.connect() as conn, conn.begin():
            yield conn

    def dispose(self) -> None:
        super().dispose()
        with self._engine_lock:
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None


class PooledSqliteStorage(DagsterSqliteStorage):
    """``DagsterSqliteStorage`` (same files under ``base_dir``) with pooled engines."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        self.base_dir = base_dir
        self._run_storage = PooledSqliteRunStorage.from_local(_runs_directory(base_dir))
        self._event_log_storage = PooledSqliteEventLogStorage(_event_logs_directory(base_dir))
        self._schedule_storage = SqliteScheduleStorage.from_local(_schedule_directory(base_dir))
        self._inst_data = inst_data
        DagsterStorage.__init__(self)

    @classmethod
    def from_config_value(  # type: ignore[override]
        cls, inst_data: ConfigurableClassData | None, config_value: SqliteStorageConfig
    ) -> PooledSqliteStorage:
        return cls.from_local(inst_data=inst_data, **config_value)
