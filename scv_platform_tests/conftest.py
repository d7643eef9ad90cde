"""Shared fixtures: a landing zone and a DuckDB warehouse per test, helpers to write files."""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterable, Sequence
from pathlib import Path

import pytest

from scv_platform.warehouse.duckdb_connection import connect


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    root = tmp_path / "landing"
    root.mkdir()
    return root


@pytest.fixture
def warehouse_path(tmp_path: Path) -> Path:
    return tmp_path / "warehouse.duckdb"


@pytest.fixture
def con(warehouse_path: Path):
    connection = connect(warehouse_path)
    yield connection
    connection.close()


def write_csv(
    path: Path, header: Sequence[str], rows: Iterable[Sequence[object]], gz: bool = False
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    opener = gzip.open if gz else open
    with opener(path, "wt", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


TRANSACTION_HEADER = (
    "transaction_id", "card_account_id", "transaction_ts", "amount", "merchant_name",
    "merchant_category", "mcc", "channel", "status", "decline_reason",
)  # fmt: skip


def transaction_row(n: int, day: str = "2025-01-01", amount: object = "12.50") -> list[object]:
    return [
        f"T{day}-{n}", f"CA{n % 3}", f"{day}T10:{n % 60:02d}:00", amount, "Corner Shop",
        "grocery", "5411", "in_store", "approved", "",
    ]  # fmt: skip


@pytest.fixture(scope="session")
def snowflake_emulator(tmp_path_factory: pytest.TempPathFactory):
    """One fakesnow server per test process, stopped by its PID at the end."""
    from scv_platform_tests.snowflake_emulator import start_emulator, stop_emulator

    emulator = start_emulator(tmp_path_factory.mktemp("fakesnow"))
    yield emulator
    stop_emulator(emulator)


@pytest.fixture
def snowflake_env(snowflake_emulator, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """``SCV_ENV=prod`` with the ``SNOWFLAKE_*`` variables on the emulator, own database."""
    from scv_platform_tests.snowflake_emulator import new_database_name

    env = {"SCV_ENV": "prod", **snowflake_emulator.env(new_database_name())}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env
