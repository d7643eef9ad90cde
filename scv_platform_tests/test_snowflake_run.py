"""``scv run`` with ``SCV_ENV=prod`` against the fakesnow server, end to end."""

from pathlib import Path

import pytest

from scv_platform.cli import main
from scv_platform.definitions import build_definitions
from scv_platform.settings import load_settings
from scv_platform_tests.snowflake_emulator import SMALL_LANDING, simulate_small_landing

pytestmark = pytest.mark.snowflake

# the output tables of contracts.md ("Outputs others rely on")
CONTRACT_TABLES = (
    ("gold", "customer_crosswalk"),
    ("gold", "dim_customer"),
    ("gold", "customer_360_profile"),
    ("gold", "churn_predictions"),
    ("quality", "check_results"),
    ("quality", "quarantine"),
)


def test_scv_run_on_snowflake_builds_the_contract_tables(
    snowflake_env, snowflake_emulator, tmp_path: Path, monkeypatch, capsys
):
    landing = simulate_small_landing(tmp_path)
    home = tmp_path / "dagster_home"
    monkeypatch.setenv("SCV_LANDING_DIR", str(landing))
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("SCV_HISTORY_START", "2025-03-01")

    assert main(["run"]) == 0
    out = capsys.readouterr().out
    assert "SCV run (prod)" in out and "Warehouse (Snowflake)" in out
    assert f"Day partitions: 2025-03-01 .. {SMALL_LANDING['end']} (3 days)" in out
    assert "WARN weather_marketplace_share" in out  # no share on the emulator: degraded
    assert "0 failed" in out

    database = snowflake_env["SNOWFLAKE_DATABASE"]
    tables = {
        (schema.lower(), name.lower())
        for schema, name in snowflake_emulator.query(
            database, "SELECT table_schema, table_name FROM information_schema.tables"
        )
    }
    graph = build_definitions(load_settings()).resolve_asset_graph()
    assets = {tuple(key.path) for key in graph.materializable_asset_keys}
    # every contract table the project defines as an asset, and the loader's quarantine
    expected = {t for t in CONTRACT_TABLES if t in assets} | {("quality", "quarantine")}
    assert {("gold", "customer_crosswalk"), ("gold", "dim_customer")} <= expected
    assert expected <= tables, expected - tables
    [(identities, customers)] = snowflake_emulator.query(
        database,
        "SELECT count(*), count(DISTINCT scv_customer_id) FROM gold.customer_crosswalk",
    )
    [(current,)] = snowflake_emulator.query(
        database, "SELECT count(*) FROM gold.dim_customer WHERE is_current"
    )
    assert identities > customers > 0 and current == customers
    # the Python data-quality checks ran on Snowflake (on working copies) and left history
    [(fact_checks,)] = snowflake_emulator.query(
        database,
        "SELECT count(*) FROM quality.check_results "
        "WHERE check_name IN ('fk_transactions_card_account', 'transactions_amount_zscore')",
    )
    [(scorecard_rows,)] = snowflake_emulator.query(
        database, "SELECT count(*) FROM gold.dq_scorecard"
    )
    assert fact_checks >= 2 and scorecard_rows > 0

    password = snowflake_env["SNOWFLAKE_PASSWORD"]
    leaks = [p for p in home.rglob("*") if p.is_file() and password.encode() in p.read_bytes()]
    assert not leaks and password not in out
