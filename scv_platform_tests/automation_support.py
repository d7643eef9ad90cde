"""Helpers shared by the automation tests: a platform environment in a temporary folder."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import pytest

from scv_platform.definitions import build_definitions
from scv_platform.settings import PROJECT_ROOT, load_settings
from scv_platform_tests.conftest import write_csv
from scv_platform_tests.test_dbt_staging import (
    C1,
    C2,
    CARD_HEADER,
    CONTACT_HEADER,
    CONTACTS_JANUARY,
)

HISTORY_START = "2025-01-01"


def platform_env(root: Path, **extra: str) -> dict[str, str]:
    """Environment variables for a platform whose landing zone, warehouse, instance and alerts
    all live under ``root`` (the instance gets the repository's dagster.yaml)."""
    home = root / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    (root / "landing").mkdir(exist_ok=True)
    return {
        "SCV_LANDING_DIR": str(root / "landing"),
        "SCV_WAREHOUSE_PATH": str(root / "warehouse.duckdb"),
        "SCV_HISTORY_START": HISTORY_START,
        "DAGSTER_HOME": str(home),
        "SCV_ALERTS_FILE": str(root / "alerts.jsonl"),
        **extra,
    }


@contextmanager
def platform_definitions(root: Path, **extra: str) -> Iterator[dg.Definitions]:
    """The real Definitions, built with :func:`platform_env` set (and restored afterwards)."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in platform_env(root, **extra).items():
            patch.setenv(name, value)
        yield build_definitions(load_settings())


def age(path: Path, seconds: float) -> Path:
    """Pretend ``path`` was last modified ``seconds`` ago."""
    then = time.time() - seconds
    os.utime(path, (then, then))
    return path


def write_card_holders(landing: Path) -> None:
    """Two CRM contacts holding the cards CA0 and CA1 that ``transaction_row`` pays with, so
    the blocking foreign-key checks of the facts pass for rows ``n`` with ``n % 3 < 2``."""
    write_csv(
        landing / "d365/contact/contact_20250101T000000.csv", CONTACT_HEADER, CONTACTS_JANUARY
    )
    cards = [
        (f"CA{n}", contact, "", "Gold", "5000.00", "2020-01-01", "0", "2025-01-01T00:00:00")
        for n, contact in enumerate((C1, C2))
    ]
    write_csv(
        landing / "d365/scv_cardaccount/scv_cardaccount_20250101T000000.csv", CARD_HEADER, cards
    )
