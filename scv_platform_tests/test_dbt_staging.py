"""The dbt silver layer on a real DuckDB warehouse: hand-made landing files -> bronze -> dbt build.

The landing files hold the messy forms the contract allows (phone formats, ZIP codes that lost
their leading zero, state names, 'Last, First' names, dd/mm/yyyy and Excel dates, re-exports
and re-deliveries); the assertions check what the staging and identity models make of them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from scv_platform.sources.landing import list_landing_files
from scv_platform.sources.loader import load_files
from scv_platform.sources.specs import SOURCES
from scv_platform.warehouse.duckdb_connection import connect
from scv_platform_tests.conftest import TRANSACTION_HEADER, write_csv

DBT_PROJECT = Path(__file__).resolve().parents[1] / "scv_dbt"

CONTACT_HEADER = (
    "contactid", "firstname", "lastname", "emailaddress1", "telephone1", "telephone2",
    "mobilephone", "address1_line1", "address1_city", "address1_stateorprovince",
    "address1_postalcode", "address1_country", "birthdate", "scv_employmentstatus",
    "createdon", "modifiedon", "statecode",
)  # fmt: skip
C1, C2, C3 = (
    "0b0c1f6e-0000-4000-8000-000000000001",
    "0b0c1f6e-0000-4000-8000-000000000002",
    "0b0c1f6e-0000-4000-8000-000000000003",
)


def contact(cid, first, last, email, phone, mobile, state, postal, modified, **extra):
    row = dict(zip(CONTACT_HEADER, [""] * len(CONTACT_HEADER), strict=True))
    row.update(
        contactid=cid, firstname=first, lastname=last, emailaddress1=email, telephone1=phone,
        mobilephone=mobile, address1_line1="12 maple  street", address1_city="BOSTON",
        address1_stateorprovince=state, address1_postalcode=postal, address1_country="USA",
        createdon="2024-01-01T09:00:00", modifiedon=modified, statecode="0",
    )  # fmt: skip
    row.update(extra)
    return [row[c] for c in CONTACT_HEADER]


CONTACTS_JANUARY = [
    contact(C1, "ann", "SMITH", " ANN@X.COM", "(617) 555-0123", "", "massachusetts",
            "02134-1234", "2025-01-01T10:00:00"),
    contact(C2, "BOB", "jones", "bob@y.com", "617.555.0199", "", "ny", "10001",
            "2025-01-05T10:00:00", birthdate="1975-03-02"),
]  # fmt: skip
# a later export: C1 changed; C2 appears again with an OLDER modifiedon (must not win)
CONTACTS_FEBRUARY = [
    contact(C1, "Ann", "smith-jones", "Ann.Smith@X.com ", "617-555-0123", "+1 617 555 0100",
            "MA", "2134", "2025-02-01T10:00:00"),
    contact(C2, "Robert", "Jones", "bob@y.com", "", "", "NY", "10001", "2024-12-01T10:00:00"),
    contact(C3, "cara", "o'neil", "not-an-email", "555-0123", "", "Narnia", "",
            "2025-02-01T10:00:00", address1_line1="", statecode="1"),
]  # fmt: skip
ADDRESS_HEADER = ("customeraddressid", "parentid", "addresstypecode", "line1", "city",
                  "stateorprovince", "postalcode", "country", "modifiedon")  # fmt: skip
ADDRESSES = [
    ("a1", C3, "3", "7 Elm Avenue", "hartford", "Connecticut", "6103", "US", "2025-01-10T00:00:00"),
    ("a2", C1, "2", "1 Ship Road", "Boston", "MA", "02134", "US", "2025-01-10T00:00:00"),
]  # fmt: skip
CARD_HEADER = ("scv_cardaccountid", "contactid", "scv_legacycustno", "scv_cardtype",
               "scv_creditlimit", "scv_openedon", "statecode", "modifiedon")  # fmt: skip
CARDS = [
    ("CA1", C1, "", "Gold", "5000.00", "2020-01-01", "0", "2025-01-01T00:00:00"),
    ("CA2", "", "L002", "travel rewards", "2500", "2019-06-01", "0", "2025-01-01T00:00:00"),
]  # fmt: skip


def write_d365(landing: Path) -> None:
    d365 = landing / "d365"
    write_csv(d365 / "contact/contact_20250101T000000.csv", CONTACT_HEADER, CONTACTS_JANUARY)
    write_csv(d365 / "contact/contact_20250201T000000.csv", CONTACT_HEADER, CONTACTS_FEBRUARY)
    write_csv(
        d365 / "customeraddress/customeraddress_20250201T000000.csv", ADDRESS_HEADER, ADDRESSES
    )
    write_csv(d365 / "scv_cardaccount/scv_cardaccount_20250201T000000.csv", CARD_HEADER, CARDS)


LEGACY_HEADER = ["Cust No", "Customer Name", "E-mail", "Phone", "Address", "Town", "State",
                 "Post Code", "DOB", "Customer Since", "Card Account"]  # fmt: skip
# as typed in Excel: a post code as the number 2134, an Excel date, dd/mm/yyyy text, an Excel
# serial number (29221 = 1980-01-01), an impossible day, a row repeated in the same sheet
LEGACY_NORTH = [
    ["L001", "Smith,  Ann", "ANN@X.COM ", "617-555-0123", "12 Maple St.", "boston",
     "Massachusetts", 2134, date(1980, 5, 17), "01/02/2010", "ca1"],
    ["L002", "bob  JONES", "bob@y.com", "1-617-555-0199", "9 Oak Road", "New York", "ny",
     "10001-1234", "17/05/1980", "2011-03-04", None],
    ["L003", "Mary Ann O'Brien", None, "6175550142", "3 Pine Ln", "Albany", "new york", None,
     29221, "31/02/2012", None],
    ["L003", "Mary Ann O'Brien", None, "6175550142", "3 Pine Ln", "Albany", "new york", None,
     29221, "31/02/2012", None],
]  # fmt: skip
# loaded after north.xlsx: its L001 row wins
LEGACY_LATER = [
    ["L001", "Smith, Ann", "ann@x.com", "(617) 555-0177", "12 Maple Street", "Boston", "MA",
     "2134", "1980-05-17", "2010-02-01", "CA1"],
]  # fmt: skip


def write_workbook(path: Path, rows: list[list[object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Customers"
    sheet.append(["Legacy customer register (export)"])
    sheet.append([])
    sheet.append(LEGACY_HEADER)
    for row in rows:
        sheet.append(row)
    workbook.save(path)


def write_legacy(landing: Path) -> None:
    write_workbook(landing / "legacy/north.xlsx", LEGACY_NORTH)
    write_workbook(landing / "legacy/z_later.xlsx", LEGACY_LATER)


PRODUCTS = [
    ("P1", " Rain  Jacket ", "Outdoor", "Acme", "89.90"),
    ("P2", "Mug", "Home", "Acme", "9"),
]
ORDER_HEADER = ("order_id", "order_ts", "shop_customer_id", "customer_email", "product_id",
                "quantity", "unit_price", "total_amount", "order_status")  # fmt: skip
ORDERS_DAY_1 = [
    ("O1", "2025-01-01T09:00:00", "S1", " Ann.Smith@X.com ", "P1", "1", "89.90", "89.90", "Placed"),
    ("O2", "2025-01-01T18:00:00", "S1", "", "P2", "2", "9.00", "", "SHIPPED"),
    ("O3", "2025-01-01T12:00:00", "S2", "bob@y.com", "P2", "1", "9.00", "9.00", "placed"),
]  # fmt: skip
# O1 delivered again the next day, with its new status
ORDERS_DAY_2 = [
    ("O1", "2025-01-01T09:00:00", "S1", "ann.smith@x.com", "P1", "1", "89.90", "89.90",
     "delivered"),
]  # fmt: skip
TRANSACTIONS = [
    ("T1", "CA1", "2025-01-01T10:00:00", "12.50", "Corner Shop", "Grocery", "5411", "In Store",
     "APPROVED", ""),
    ("T2", "ca2", "2025-01-01T11:00:00", "80.00", "Web Books", "Books", "742", "online",
     "declined", "insufficient_funds"),
]  # fmt: skip
WEATHER_HEADER = ("postal_code", "country", "date_valid_std", "min_temperature_air_2m_f",
                  "avg_temperature_air_2m_f", "max_temperature_air_2m_f", "tot_precipitation_in",
                  "tot_snowfall_in", "avg_humidity_relative_2m_pct", "avg_wind_speed_10m_mph",
                  "avg_cloud_cover_tot_pct")  # fmt: skip
WEATHER = [
    ("2134", "US", "2025-01-01", "20", "28", "35", "0.1", "0", "70", "8", "60"),
    ("10001", "US", "2025-01-01", "25", "30", "38", "0", "0", "65", "10", "40"),
]  # fmt: skip


def write_shop_cards_weather(landing: Path) -> None:
    products_header = ("product_id", "product_name", "category", "brand", "list_price")
    write_csv(landing / "shop/products/products_20250101T000000.csv", products_header, PRODUCTS)
    write_csv(landing / "shop/orders/orders_2025-01-01.csv", ORDER_HEADER, ORDERS_DAY_1)
    write_csv(landing / "shop/orders/orders_2025-01-02.csv", ORDER_HEADER, ORDERS_DAY_2)
    write_csv(
        landing / "cards/transactions/transactions_2025-01-01.csv", TRANSACTION_HEADER, TRANSACTIONS
    )
    write_csv(landing / "weather/forecast_day/forecast_day_2025-01-01.csv", WEATHER_HEADER, WEATHER)


def build_bronze(landing: Path, warehouse: Path) -> None:
    """Write the hand-made landing zone and load every source into bronze."""
    write_d365(landing)
    write_legacy(landing)
    write_shop_cards_weather(landing)
    con = connect(warehouse)
    try:
        for spec in SOURCES:
            results = load_files(con, spec, list_landing_files(spec, landing).files)
            assert all(r.rows_quarantined == 0 for r in results), results
    finally:
        con.close()


def run_dbt(args: list[str], warehouse: Path, target_path: Path) -> subprocess.CompletedProcess:
    """The real dbt CLI in a subprocess (dbt-duckdb keeps its connection open in-process)."""
    dbt = Path(sys.executable).parent / "dbt"
    env = {**os.environ, "SCV_WAREHOUSE_PATH": str(warehouse), "SCV_DBT_TARGET": "local"}
    command = [
        str(dbt), "--no-use-colors", *args,
        "--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT),
        "--target", "local", "--target-path", str(target_path),
        "--log-path", str(target_path / "logs"),
    ]  # fmt: skip
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory) -> Path:
    """A bronze warehouse built from the landing files above, then `dbt build` over it."""
    root = tmp_path_factory.mktemp("dbt_staging")
    warehouse = root / "warehouse.duckdb"
    build_bronze(root / "landing", warehouse)
    result = run_dbt(["build"], warehouse, root / "target")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return root


@pytest.fixture(scope="module")
def silver(build_dir: Path):
    con = connect(build_dir / "warehouse.duckdb", read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="module")
def test_results(build_dir: Path) -> dict[str, tuple[str, int | None]]:
    """Status and failing-row count of every dbt data test of the build, by test name."""
    results = json.loads((build_dir / "target/run_results.json").read_text())["results"]
    return {
        r["unique_id"].split(".")[2]: (r["status"], r.get("failures"))
        for r in results
        if r["unique_id"].startswith("test.")
    }


def rows(con, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def test_latest_contact_version_wins_and_values_are_standardised(silver):
    got = rows(
        silver,
        "SELECT contact_id, first_name, last_name, email, mobile_phone, business_phone, "
        "state_code, postal_code, country_code, address_line1, city, is_active "
        "FROM silver.stg_d365__contacts ORDER BY contact_id",
    )
    assert got == [
        (C1, "Ann", "Smith-Jones", "ann.smith@x.com", "+16175550100", "+16175550123", "MA",
         "02134", "US", "12 Maple Street", "Boston", True),
        (C2, "Bob", "Jones", "bob@y.com", None, "+16175550199", "NY", "10001", "US",
         "12 Maple Street", "Boston", True),
        (C3, "Cara", "O'Neil", None, None, None, None, None, "US", None, "Boston", False),
    ]  # fmt: skip


def test_unparsable_contact_values_are_null_and_flagged(silver):
    got = rows(
        silver,
        "SELECT email_unparsable, phone_unparsable, state_unparsable, postal_code_unparsable, "
        "parse_issue_count FROM silver.stg_d365__contacts WHERE contact_id = "
        f"'{C3}'",
    )
    assert got == [(True, True, True, False, 3)]


def test_legacy_names_split_dates_parsed_zip_restored_latest_workbook_wins(silver):
    got = rows(
        silver,
        "SELECT cust_no, first_name, middle_name, last_name, email, phone, state_code, "
        "postal_code, birth_date, customer_since, card_account_id, _source_file, "
        "bronze_row_count FROM silver.stg_legacy__customers ORDER BY cust_no",
    )
    assert got == [
        ("L001", "Ann", None, "Smith", "ann@x.com", "+16175550177", "MA", "02134",
         date(1980, 5, 17), date(2010, 2, 1), "CA1", "legacy/z_later.xlsx", 2),
        ("L002", "Bob", None, "Jones", "bob@y.com", "+16175550199", "NY", "10001",
         date(1980, 5, 17), date(2011, 3, 4), None, "legacy/north.xlsx", 1),
        ("L003", "Mary", "Ann", "O'Brien", None, "+16175550142", "NY", None,
         date(1980, 1, 1), None, None, "legacy/north.xlsx", 2),
    ]  # fmt: skip
    flags = rows(
        silver,
        "SELECT cust_no, customer_since_unparsable, dob_unparsable, parse_issue_count "
        "FROM silver.stg_legacy__customers WHERE parse_issue_count > 0",
    )
    assert flags == [("L003", True, False, 1)]  # 31/02/2012 is no day


def test_orders_transactions_and_weather_are_deduplicated_and_normalised(silver):
    orders = rows(
        silver,
        "SELECT order_id, order_status, customer_email, total_amount_missing, _file_date "
        "FROM silver.stg_shop__orders ORDER BY order_id",
    )
    assert orders == [
        ("O1", "delivered", "ann.smith@x.com", False, date(2025, 1, 2)),
        ("O2", "shipped", None, True, date(2025, 1, 1)),
        ("O3", "placed", "bob@y.com", False, date(2025, 1, 1)),
    ]
    transactions = rows(
        silver,
        "SELECT transaction_id, card_account_id, channel, status, is_approved, mcc "
        "FROM silver.stg_cards__transactions ORDER BY transaction_id",
    )
    assert transactions == [
        ("T1", "CA1", "in_store", "approved", True, "5411"),
        ("T2", "CA2", "online", "declined", False, "0742"),
    ]
    weather = rows(silver, "SELECT postal_code FROM silver.stg_weather__forecast_day ORDER BY 1")
    assert weather == [("02134",), ("10001",)]


def test_identity_candidates_have_one_row_per_source_identity(silver):
    got = rows(
        silver,
        "SELECT source_system, source_record_id, full_name, email, phone, phone_alt, "
        "address_line1, postal_code, card_account_ids "
        "FROM silver.int_identity__candidates ORDER BY source_system, source_record_id",
    )
    assert [(r[0], r[1]) for r in got] == [
        ("d365", C1), ("d365", C2), ("d365", C3),
        ("legacy", "L001"), ("legacy", "L002"), ("legacy", "L003"),
        ("shop", "S1"), ("shop", "S2"),
    ]  # fmt: skip
    by_key = {(r[0], r[1]): r[2:] for r in got}
    assert by_key[("d365", C1)] == (
        "Ann Smith-Jones", "ann.smith@x.com", "+16175550100", "+16175550123",
        "12 MAPLE ST", "02134", "CA1",
    )  # fmt: skip
    # C3 has no address of its own: its primary CRM address stands in
    assert by_key[("d365", C3)][4:6] == ("7 ELM AVE", "06103")
    assert by_key[("legacy", "L002")][6] == "CA2"
    assert by_key[("shop", "S1")][1] == "ann.smith@x.com"  # latest order with an e-mail


def test_card_links_join_crm_and_legacy_holders(silver):
    got = rows(
        silver,
        "SELECT card_account_id, source_system, source_record_id, linked_in_crm, "
        "linked_in_legacy_workbook, card_type FROM silver.int_identity__card_links "
        "ORDER BY 1, 2, 3",
    )
    assert got == [
        ("CA1", "d365", C1, True, False, "Gold"),
        ("CA1", "legacy", "L001", False, True, "Gold"),
        ("CA2", "legacy", "L002", True, False, "Travel Rewards"),
    ]


def test_parse_issues_are_counted_by_warn_tests_and_keys_pass(test_results):
    assert test_results["not_flagged_stg_d365__contacts_phone_unparsable"] == ("warn", 1)
    assert test_results["not_flagged_stg_d365__contacts_state_unparsable"] == ("warn", 1)
    assert test_results["not_flagged_stg_legacy__customers_customer_since_unparsable"] == (
        "warn", 1,
    )  # fmt: skip
    assert test_results["not_flagged_stg_legacy__customers_dob_unparsable"] == ("pass", 0)
    keys = [
        name
        for name in test_results
        if name.startswith(("unique_", "not_null_")) and "_stg_" in name
    ]
    assert len(keys) > 10 and all(test_results[k][0] == "pass" for k in keys)


WEATHER_SQL = (
    "SELECT postal_code, date_valid_std::VARCHAR, avg_temperature_air_2m_f, _source_file "
    "FROM silver.stg_weather__forecast_day ORDER BY 2, 1"
)


def first_build(tmp_path: Path, model: str) -> tuple[Path, Path, list[str]]:
    """Bronze from the landing files above, then a first build of ``model`` alone."""
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse.duckdb"
    build_bronze(landing, warehouse)
    select = ["run", "--select", model]
    first = run_dbt(select, warehouse, tmp_path / "first")
    assert first.returncode == 0, first.stdout[-3000:]
    return landing, warehouse, select


def rebuilt_after_loading(
    tmp_path: Path, landing: Path, warehouse: Path, select: list[str], table: str, sql: str
) -> list[tuple]:
    """Load the new landing files of ``table``, build incrementally, check the result equals
    a full refresh, and return it."""
    spec = next(spec for spec in SOURCES if spec.table == table)
    built = []
    for run, flags in (("incremental", []), ("refresh", ["--full-refresh"])):
        con = connect(warehouse)
        try:
            load_files(con, spec, list_landing_files(spec, landing).files)
        finally:
            con.close()
        result = run_dbt([*select, *flags], warehouse, tmp_path / run)
        assert result.returncode == 0, result.stdout[-3000:]
        con = connect(warehouse, read_only=True)
        try:
            built.append(rows(con, sql))
        finally:
            con.close()
    assert built[0] == built[1]
    return built[0]


def test_weather_is_built_again_only_for_the_days_of_new_loads(tmp_path):
    """Day 1 is delivered again with a changed row while day 2 lands: the incremental build
    redoes day 1 whole, adds day 2, and equals a full refresh."""
    landing, warehouse, select = first_build(tmp_path, "stg_weather__forecast_day")
    folder = landing / "weather/forecast_day"
    again = [(*WEATHER[0][:4], "31", *WEATHER[0][5:])]  # 02134 warmer; 10001 no longer sent
    write_csv(folder / "forecast_day_2025-01-01.csv", WEATHER_HEADER, again)
    day_2 = [("10001", "US", "2025-01-02", "20", "26", "30", "0", "0", "60", "5", "30")]
    write_csv(folder / "forecast_day_2025-01-02.csv", WEATHER_HEADER, day_2)
    built = rebuilt_after_loading(
        tmp_path, landing, warehouse, select, "weather_forecast_day", WEATHER_SQL
    )
    assert built == [
        ("02134", "2025-01-01", 31.0, "weather/forecast_day/forecast_day_2025-01-01.csv"),
        ("10001", "2025-01-02", 26.0, "weather/forecast_day/forecast_day_2025-01-02.csv"),
    ]


ORDERS_SQL = (
    "SELECT order_id, order_status, _file_date::VARCHAR, _source_file "
    "FROM silver.stg_shop__orders ORDER BY order_id"
)


def test_orders_are_built_again_only_for_new_loads_and_their_file_days(tmp_path):
    """Day 2 is delivered again without O1 but with O5, and day 3 restates O2: the
    incremental build brings back O1's day-1 delivery, keeps O3, and equals a full refresh."""
    landing, warehouse, select = first_build(tmp_path, "stg_shop__orders")
    folder = landing / "shop/orders"
    o5 = ("O5", "2025-01-02T08:00:00", "S2", "bob@y.com", "P1", "1", "89.90", "89.90", "placed")
    write_csv(folder / "orders_2025-01-02.csv", ORDER_HEADER, [o5])
    o2 = (*ORDERS_DAY_1[1][:8], "returned")
    write_csv(folder / "orders_2025-01-03.csv", ORDER_HEADER, [o2])
    built = rebuilt_after_loading(tmp_path, landing, warehouse, select, "shop_orders", ORDERS_SQL)
    assert built == [
        ("O1", "placed", "2025-01-01", "shop/orders/orders_2025-01-01.csv"),
        ("O2", "returned", "2025-01-03", "shop/orders/orders_2025-01-03.csv"),
        ("O3", "placed", "2025-01-01", "shop/orders/orders_2025-01-01.csv"),
        ("O5", "placed", "2025-01-02", "shop/orders/orders_2025-01-02.csv"),
    ]
