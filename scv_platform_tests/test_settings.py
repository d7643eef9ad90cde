"""Settings: contract variables, simulator knobs and clear errors for bad values."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from scv_platform.settings import (
    SettingsError,
    load_settings,
    load_simulation_settings,
    yesterday_utc,
)

CONTRACT_VARIABLES = (
    "SCV_ENV", "SCV_LANDING_DIR", "SCV_WAREHOUSE_PATH", "SCV_HISTORY_START",
    "SCV_CHURN_HORIZON_DAYS", "DAGSTER_HOME",
)  # fmt: skip


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in CONTRACT_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_history_start_comes_from_the_earliest_daily_file(monkeypatch, tmp_path: Path):
    orders = tmp_path / "shop/orders"
    orders.mkdir(parents=True)
    (orders / "orders_2025-03-02.csv").write_text("order_id\n")
    (orders / "orders_2025-02-27.csv.gz").write_bytes(b"")
    (orders / "orders_notes.txt").write_text("ignored")
    monkeypatch.setenv("SCV_LANDING_DIR", str(tmp_path))
    settings = load_settings()
    assert settings.history_start == date(2025, 2, 27)
    assert settings.landing_dir == tmp_path.resolve()
    assert settings.env == "local" and settings.churn_horizon_days == 90


def test_history_start_defaults_to_eighteen_months_before_yesterday(monkeypatch, tmp_path):
    monkeypatch.setenv("SCV_LANDING_DIR", str(tmp_path / "empty"))
    assert load_settings().history_start == yesterday_utc() - timedelta(days=547)
    monkeypatch.setenv("SCV_HISTORY_START", "2024-01-01")
    assert load_settings().history_start == date(2024, 1, 1)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SCV_ENV", "staging", "expected 'local' or 'prod'"),
        ("SCV_HISTORY_START", "01/02/2024", "is not a date"),
        ("SCV_CHURN_HORIZON_DAYS", "0", "must be positive"),
    ],
)
def test_bad_values_are_named_in_the_error(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=message):
        load_settings()


def test_simulator_knobs_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("SCV_SIM_CUSTOMERS", "50000")
    monkeypatch.setenv("SCV_SIM_EMPTY_TOTAL_RATE", "0.02")
    monkeypatch.setenv("SCV_SIM_END", "2025-06-30")
    settings = load_simulation_settings()
    assert (settings.customers, settings.empty_total_rate) == (50000, 0.02)
    assert settings.start == date(2025, 6, 30) - timedelta(days=547)
    assert settings.with_overrides(customers=10, seed=None).customers == 10
    monkeypatch.setenv("SCV_SIM_DAYS", "-1")
    with pytest.raises(SettingsError, match="must be positive"):
        load_simulation_settings()


def test_secrets_never_appear_in_the_settings_repr(monkeypatch):
    monkeypatch.setenv("SNOWFLAKE_PASSWORD", "hunter2-secret")
    monkeypatch.setenv("DAGSTER_PG_PASSWORD", "pg-secret")
    text = repr(load_settings())
    assert "hunter2-secret" not in text and "pg-secret" not in text
