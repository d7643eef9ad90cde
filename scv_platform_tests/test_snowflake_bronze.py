"""Bronze on Snowflake (the fakesnow server): the same rows, quarantine and manifest as DuckDB.

The bronze assets and checks run in real Dagster materialisations with the production
``SnowflakeResource``; the same landing files loaded by the DuckDB loader are the reference.
"""

from datetime import date
from pathlib import Path

import dagster as dg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from scv_platform.partitions import daily_partitions
from scv_platform.resources.landing_zone import LandingZoneResource
from scv_platform.resources.snowflake import snowflake_resource
from scv_platform.settings import load_settings
from scv_platform.sources.assets import build_bronze_assets
from scv_platform.sources.checks import build_all_bronze_checks
from scv_platform.sources.landing import LandingFile, list_landing_files
from scv_platform.sources.specs import CONTACTS, TRANSACTIONS
from scv_platform.warehouse.duckdb_connection import connect
from scv_platform.warehouse.gateway import DuckDBGateway
from scv_platform_tests.conftest import TRANSACTION_HEADER, transaction_row, write_csv

pytestmark = pytest.mark.snowflake

TX = dg.AssetKey(["bronze", "card_transactions"])
CONTACT = dg.AssetKey(["bronze", "d365_contact"])
QUARANTINE_SQL = (
    "SELECT source_file, source_row, column_name, reason, original_values IS NOT NULL "
    "FROM quality.quarantine WHERE released_at IS NULL ORDER BY 1, 2, 4"
)
BRONZE_SQL = "SELECT _source_file, count(*) FROM bronze.{table} GROUP BY 1 ORDER BY 1"


def write_landing(landing: Path) -> None:
    """Every way a file can be loaded: good and bad rows, .csv.gz, Parquet, a file rejected
    whole (missing required column) and a CSV line that is not a valid record."""
    tx = landing / "cards/transactions"
    write_csv(
        tx / "transactions_2025-01-01.csv",
        TRANSACTION_HEADER,
        [transaction_row(i, "2025-01-01") for i in range(3)]
        + [transaction_row(9, "2025-01-01", amount="12,50 USD")],
    )
    bad_ts = transaction_row(8, "2025-01-02")
    bad_ts[2] = "yesterday"
    write_csv(
        tx / "transactions_2025-01-02.csv.gz",
        TRANSACTION_HEADER,
        [transaction_row(i, "2025-01-02") for i in range(2)] + [bad_ts],
        gz=True,
    )
    rows = [transaction_row(i, "2025-01-03") for i in range(2)]
    columns = {name: [str(r[i]) for r in rows] for i, name in enumerate(TRANSACTION_HEADER)}
    pq.write_table(pa.table(columns), tx / "transactions_2025-01-03.parquet")
    contacts = landing / "d365/contact"
    header = ["contactid", "firstname", "createdon", "modifiedon", "loyalty_tier"]
    write_csv(
        contacts / "contact_20250101T000000.csv",
        header,
        [
            ["g-1", "Ann", "2025-01-01T00:00:00", "2025-01-01T00:00:00Z", "gold"],
            ["g-2", "Bob", "2025-01-01T00:00:00+02:00", "2025-01-02T00:00:00", ""],
            ["", "Cy", "2025-01-01T00:00:00", "2025-01-01T00:00:00", ""],
        ],
    )
    write_csv(contacts / "contact_20250102T000000.csv", ["firstname"], [["Dee"]])


@pytest.fixture
def defs(snowflake_env, landing: Path) -> dg.Definitions:
    return dg.Definitions(
        assets=build_bronze_assets(daily_partitions(date(2025, 1, 1)), "snowflake"),
        asset_checks=build_all_bronze_checks(),
        resources={
            "warehouse": snowflake_resource(load_settings()),
            "landing_zone": LandingZoneResource(root=str(landing)),
        },
        jobs=[
            dg.define_asset_job("tx", selection=dg.AssetSelection.assets(TX)),
            dg.define_asset_job("contacts", selection=dg.AssetSelection.assets(CONTACT)),
        ],
    )


def run_days(defs: dg.Definitions, first: str, last: str) -> dg.ExecuteInProcessResult:
    return defs.resolve_job_def("tx").execute_in_process(
        instance=dg.DagsterInstance.ephemeral(),
        tags={ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last},
    )


def run_contacts(defs: dg.Definitions) -> dg.ExecuteInProcessResult:
    return defs.resolve_job_def("contacts").execute_in_process(
        instance=dg.DagsterInstance.ephemeral()
    )


def checks(result: dg.ExecuteInProcessResult) -> dict[str, bool]:
    return {e.check_name: e.passed for e in result.get_asset_check_evaluations()}


def duckdb_reference(landing: Path, tmp_path: Path) -> tuple[list, dict]:
    """The same landing files through the DuckDB loader: quarantine and rows per file."""
    con = connect(tmp_path / "reference.duckdb")
    gateway = DuckDBGateway(con)
    for spec in (TRANSACTIONS, CONTACTS):
        gateway.load_files(spec, list_landing_files(spec, landing).files, "ref", False)
    quarantine = gateway.execute(QUARANTINE_SQL)
    rows = {
        t: gateway.execute(BRONZE_SQL.format(table=t))
        for t in ("card_transactions", "d365_contact")
    }
    con.close()
    return quarantine, rows


def test_bronze_on_snowflake_matches_duckdb_and_reconciles(
    defs, landing, tmp_path, snowflake_emulator, snowflake_env
):
    write_landing(landing)
    result = run_days(defs, "2025-01-01", "2025-01-03")
    assert result.success
    assert checks(result) == {
        "card_transactions_load_reconciliation": True,
        "card_transactions_rejected_files": True,
    }
    contacts = run_contacts(defs)
    assert contacts.success
    assert checks(contacts) == {
        "d365_contact_load_reconciliation": True,
        "d365_contact_rejected_files": False,  # the file without contactid, warned about
    }
    database = snowflake_env["SNOWFLAKE_DATABASE"]
    quarantine, rows = duckdb_reference(landing, tmp_path)
    assert snowflake_emulator.query(database, QUARANTINE_SQL) == quarantine
    assert any("amount: '12,50 USD' is not a decimal number" in q[3] for q in quarantine)
    for table, expected in rows.items():
        assert snowflake_emulator.query(database, BRONZE_SQL.format(table=table)) == expected
    [(utc, extra)] = snowflake_emulator.query(
        database,
        "SELECT createdon, _extra_columns FROM bronze.d365_contact WHERE contactid = 'g-2'",
    )
    assert str(utc) == "2024-12-31 22:00:00"  # the offset was converted to UTC
    assert '"loyalty_tier"' in extra

    again = run_days(defs, "2025-01-01", "2025-01-03")
    [materialization] = again.asset_materializations_for_node("bronze__card_transactions")[-1:]
    assert materialization.metadata["files_skipped_already_loaded"].value == 3
    write_csv(
        landing / "cards/transactions/transactions_2025-01-01.csv",
        TRANSACTION_HEADER,
        [transaction_row(i, "2025-01-01") for i in range(5)],
    )
    assert run_days(defs, "2025-01-01", "2025-01-01").success
    assert snowflake_emulator.query(
        database,
        "SELECT count(*) FROM bronze.card_transactions WHERE _file_date = '2025-01-01'",
    ) == [(5,)]  # the new content replaced the file's earlier rows
    assert snowflake_emulator.query(
        database,
        "SELECT count(*) FROM quality.quarantine WHERE released_at IS NULL "
        "AND source_file LIKE '%2025-01-01.csv'",
    ) == [(0,)]  # and released its quarantine entries


class RecordingCursor:
    """Stands in for a Snowflake cursor where the emulator cannot: records statements and
    answers COPY with Snowflake's result columns."""

    def __init__(self, results: list[tuple[list[str], list[tuple]]]) -> None:
        self.statements: list[str] = []
        self.results = results
        self.description: list[tuple] = []
        self.rows: list[tuple] = []

    def execute(self, sql: str, params=None):
        self.statements.append(" ".join(sql.split()))
        names, self.rows = self.results.pop(0) if sql.lstrip().startswith("COPY") else ([], [])
        self.description = [(n,) for n in names]
        return self

    def fetchall(self) -> list[tuple]:
        return self.rows


def test_csv_copy_on_snowflake_keeps_rejected_records_with_their_reasons(landing):
    from scv_platform.sources.snowflake_loader import _Batch, _copy_csv

    staged = LandingFile(landing / "t.csv", "cards/transactions/t.csv", date(2025, 1, 1), 10)
    batch = _Batch([staged], list(TRANSACTION_HEADER), "bronze._scv_raw_x", "card_transactions/k")
    copy_result = (
        ["file", "status", "rows_parsed", "rows_loaded", "errors_seen", "first_error"],
        [("card_transactions/k/t.csv", "PARTIALLY_LOADED", 3, 2, 1, "Number of columns")],
    )
    validation = (
        ["ERROR", "FILE", "LINE", "COLUMN_NAME", "REJECTED_RECORD"],
        [("Number of columns in file (11) does not match", "t.csv", 4, '"RAW"[11]', "a,b")],
    )
    cursor = RecordingCursor([copy_result, validation])
    _copy_csv(cursor, batch)
    load, check = cursor.statements
    assert "ON_ERROR = CONTINUE" in load and "METADATA$FILE_ROW_NUMBER" in load
    assert "@bronze.scv_landing/card_transactions/k/ t" in load
    assert "FROM @bronze.scv_landing/card_transactions/k/t.csv" in check
    assert check.endswith("VALIDATION_MODE = RETURN_ALL_ERRORS")
    [(row, column, reason, original)] = batch.bad_lines[staged.relative]
    assert (row, column) == (4, '"RAW"[11]')
    assert reason == "not a valid CSV record (Number of columns in file (11) does not match)"
    assert original == '{"csv_line": "a,b"}'
