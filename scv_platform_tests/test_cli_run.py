"""``scv run`` end to end on hand-made landing zones: summary, exit codes, absent sources."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance

from scv_platform.cli import main
from scv_platform.settings import load_settings
from scv_platform.warehouse.duckdb_connection import connection
from scv_platform_tests.conftest import TRANSACTION_HEADER, transaction_row, write_csv


@pytest.fixture
def run_env(monkeypatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("SCV_LANDING_DIR", str(tmp_path / "landing"))
    monkeypatch.setenv("SCV_WAREHOUSE_PATH", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("SCV_HISTORY_START", "2025-01-01")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    (tmp_path / "landing").mkdir()
    return tmp_path


def test_scv_run_builds_every_partition_with_data_in_one_run(run_env, capsys):
    landing = run_env / "landing"
    for day in ("2025-01-01", "2025-01-02", "2025-01-03"):
        rows = [transaction_row(i, day) for i in range(4)] + [transaction_row(9, day, "?")]
        write_csv(landing / f"cards/transactions/transactions_{day}.csv", TRANSACTION_HEADER, rows)
    write_csv(
        landing / "d365/contact/contact_20250101T000000.csv",
        [
            "contactid",
            "firstname",
            "address1_line1",
            "address1_postalcode",
            "createdon",
            "modifiedon",
        ],
        [["g-1", "Ann", "1 Main St", "02134", "2025-01-01T00:00:00", "2025-01-01T00:00:00"]],
    )
    # the cards of the transactions, held by Ann (else fk_transactions_card_account blocks)
    write_csv(
        landing / "d365/scv_cardaccount/scv_cardaccount_20250101T000000.csv",
        ["scv_cardaccountid", "contactid", "modifiedon"],
        [[f"CA{n}", "g-1", "2025-01-01T00:00:00"] for n in range(3)],
    )
    assert main(["run"]) == 0
    out = capsys.readouterr().out
    assert "Day partitions: 2025-01-01 .. 2025-01-03 (3 days)" in out
    assert "silver/stg_d365__contacts" in out  # dbt ran after bronze
    assert "bronze/card_transactions" in out and "12 rows" in out
    assert "Quarantined rows (this run): 3" in out
    assert "0 failed" in out
    assert "Warehouse (DuckDB):" in out
    log_file = Path(re.search(r"step and dbt output: (\S+)\)", out).group(1))
    log = log_file.read_text()
    assert "stg_d365__contacts" in log and "scv_run_stage" in log  # dbt's output, the steps
    assert "START unit_test" not in log  # dbt's unit tests are the test suite's, not a run's
    with connection(run_env / "warehouse.duckdb", read_only=True) as con:
        assert con.execute("SELECT count(*) FROM bronze.card_transactions").fetchone()[0] == 12
        assert con.execute("SELECT count(*) FROM bronze.d365_contact").fetchone()[0] == 1

    # a daily run keeps the reference data whose files did not change, and builds the rest
    contact, stg_contacts = (
        AssetKey(["bronze", "d365_contact"]),
        AssetKey(["silver", "stg_d365__contacts"]),
    )
    cards = AssetKey(["bronze", "d365_cardaccount"])
    assert {contact, cards} <= set(daily_keys(run_env)[1])
    chosen, kept = daily_keys(run_env)
    assert contact not in chosen and stg_contacts not in chosen
    assert {AssetKey(["gold", "fct_transactions"]), AssetKey(["gold", "customer_crosswalk"]),
            AssetKey(["gold", "customer_360_profile"])} <= chosen  # fmt: skip
    write_csv(
        landing / "d365/contact/contact_20250101T000000.csv",  # delivered again, one more row
        ["contactid", "firstname", "createdon", "modifiedon"],
        [["g-1", "Ann", "2025-01-01T00:00:00", "2025-01-01T00:00:00"],
         ["g-2", "Bo", "2025-01-02T00:00:00", "2025-01-02T00:00:00"]],
    )  # fmt: skip
    chosen, kept = daily_keys(run_env)
    assert {contact, stg_contacts} <= chosen and contact not in kept and cards in kept
    capsys.readouterr()
    assert main(["run", "--from", "2025-01-03", "--to", "2025-01-03"]) == 0
    out = capsys.readouterr().out
    assert "Day partitions: 2025-01-03 .. 2025-01-03 (1 days)" in out
    # one day is one run of the day partition and the assets built over it, as scv_daily
    assert len(re.search(r"\(runs ([^)]*)\)", out).group(1).split(", ")) == 1
    assert "so kept: bronze/d365_cardaccount," in out and "kept: bronze/d365_contact" not in out
    with connection(run_env / "warehouse.duckdb", read_only=True) as con:
        assert con.execute("SELECT count(*) FROM bronze.d365_contact").fetchone()[0] == 2
        assert con.execute("SELECT count(*) FROM silver.stg_d365__contacts").fetchone()[0] == 2
    assert contact not in daily_keys(run_env)[0]  # loaded: unchanged again

    # the same day again without checks: the assets are rebuilt, no dbt test nor check runs
    assert main(["run", "--from", "2025-01-03", "--to", "2025-01-03", "--checks", "none"]) == 0
    out = capsys.readouterr().out
    assert "Checks: none (assets only" in out and "Checks: 0 passed, 0 warned, 0 failed" in out
    log = Path(re.search(r"step and dbt output: (\S+)\)", out).group(1)).read_text()
    assert "START sql incremental model gold.fct_transactions" in log and "START test" not in log


def daily_keys(root: Path) -> tuple[set[AssetKey], list[AssetKey]]:
    """The assets a daily run would build now, and the roots it would keep."""
    from scv_platform.definitions import build_definitions
    from scv_platform.runner.execute import definitions_gateway
    from scv_platform.runner.selection import daily_run_selection

    defs = build_definitions(load_settings())
    with DagsterInstance.get() as instance, definitions_gateway(defs) as gateway:
        chosen = daily_run_selection(defs, instance, gateway, root / "landing")
    return chosen.selection.resolve(defs.resolve_asset_graph()), list(chosen.unchanged_roots)


def test_scv_run_on_an_empty_landing_zone_reports_absent_sources(run_env, capsys):
    assert main(["run"]) == 0
    out = capsys.readouterr().out
    assert "Absent source folders" in out and "cards/transactions" in out
    assert "no daily files" in out


def test_scv_run_exits_non_zero_naming_the_failed_step(run_env, capsys, monkeypatch):
    blocker = run_env / "not-a-database"
    blocker.mkdir()
    monkeypatch.setenv("SCV_WAREHOUSE_PATH", str(blocker))
    write_csv(
        run_env / "landing/cards/transactions/transactions_2025-01-01.csv",
        TRANSACTION_HEADER,
        [transaction_row(1)],
    )
    assert main(["run"]) == 1
    out = capsys.readouterr().out
    assert "FAILED: step failed: bronze__" in out


def test_bad_setting_is_a_clear_configuration_error(run_env, capsys, monkeypatch):
    monkeypatch.setenv("SCV_CHURN_HORIZON_DAYS", "ninety")
    assert main(["run"]) == 2
    assert "SCV_CHURN_HORIZON_DAYS='ninety' is not an integer" in capsys.readouterr().err


def test_a_run_can_be_limited_to_a_range_of_days():
    from datetime import date

    from scv_platform.runner.plan import RunPlan, restrict

    plan = RunPlan(date(2025, 1, 1), date(2025, 1, 31), date(2025, 1, 31), "")
    limited = restrict(plan, date(2025, 1, 10), date(2025, 1, 12))
    assert (limited.first_day, limited.last_day, limited.days) == (
        date(2025, 1, 10),
        date(2025, 1, 12),
        3,
    )
    assert restrict(plan, None, date(2025, 1, 5)).first_day == date(2025, 1, 1)
    assert restrict(plan, date(2025, 1, 20), None).last_day == date(2025, 1, 31)
    empty = restrict(plan, date(2025, 2, 1), None)
    assert empty.partition_range is None and "no day partition" in empty.note
    assert restrict(plan, None, None) is plan


def test_the_scv_command_ends_with_mains_code_after_the_exit_functions(tmp_path):
    """``entry`` skips the interpreter's teardown, not what ``atexit`` runs: a semaphore
    (as dbt creates) is released, so multiprocessing's tracker finds nothing leaked."""
    script = (
        "import multiprocessing, scv_platform.cli as cli\n"
        "def main():\n"
        "    cli.lock = multiprocessing.get_context('spawn').Lock()\n"
        "    print('ran'); return 3\n"
        "cli.main = main\n"
        "cli.entry()\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120)  # fmt: skip
    assert done.returncode == 3
    assert done.stdout == "ran\n"
    assert "leaked" not in done.stderr, done.stderr
