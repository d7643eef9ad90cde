"""The golden record and the SCD type 2 customer dimension on a real DuckDB warehouse.

Bronze comes from the hand-made landing zone of test_dbt_staging (loaded by the real loader);
the crosswalk identity resolution would write is written by hand, linking a CRM contact, a
legacy customer and a shop account to one customer. Then the real `dbt build`; then a CRM
delta export moves the customer and an identity disappears from the crosswalk, and a second
build must version the dimension (SCD type 2).
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from scv_platform.sources.landing import list_landing_files
from scv_platform.sources.loader import load_files
from scv_platform.sources.specs import SOURCES
from scv_platform.warehouse.duckdb_connection import connect
from scv_platform_tests.conftest import write_csv
from scv_platform_tests.test_dbt_staging import (
    C1,
    C2,
    C3,
    CONTACT_HEADER,
    build_bronze,
    contact,
    run_dbt,
)

CROSSWALK = [
    # source_system, source_record_id, scv_customer_id, match_rule
    ("d365", C1, "SCV-A", "card_account"),
    ("legacy", "L001", "SCV-A", "card_account"),
    ("shop", "S1", "SCV-A", "email_alias"),
    ("d365", C2, "SCV-B", "email"),
    ("legacy", "L002", "SCV-B", "email"),
    ("shop", "S2", "SCV-B", "email"),
    ("d365", C3, "SCV-C", "singleton"),
    ("legacy", "L003", "SCV-D", "singleton"),
]
# a later CRM delta export: Ann moves
CONTACTS_MARCH = [
    contact(C1, "Ann", "smith-jones", "Ann.Smith@X.com", "617-555-0123", "+1 617 555 0100",
            "MA", "02139", "2025-03-01T10:00:00", address1_line1="99 new  street",
            address1_city="CAMBRIDGE"),
]  # fmt: skip
GOLDEN_COLUMNS = (
    "scv_customer_id, first_name, last_name, full_name, email, phone, address_line1, city, "
    "state_code, postal_code, birth_date, employment_status, customer_since, is_active, "
    "source_systems, d365_contacts, legacy_customers, shop_accounts, d365_contact_ids"
)


def write_crosswalk(warehouse, rows) -> None:
    con = connect(warehouse)
    try:
        con.execute("create schema if not exists gold")
        con.execute(
            "create or replace table gold.customer_crosswalk (source_system varchar, "
            "source_record_id varchar, scv_customer_id varchar, match_rule varchar, "
            "match_probability double, resolved_at timestamp)"
        )
        con.executemany(
            "insert into gold.customer_crosswalk values (?, ?, ?, ?, null, now())", rows
        )
    finally:
        con.close()


def load_bronze(landing, warehouse) -> None:
    con = connect(warehouse)
    try:
        for spec in SOURCES:
            load_files(con, spec, list_landing_files(spec, landing).files)
    finally:
        con.close()


def build(root, run: str) -> None:
    result = run_dbt(["build"], root / "warehouse.duckdb", root / f"target_{run}")
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]


def query(warehouse, sql: str) -> list[tuple]:
    con = connect(warehouse, read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """Both states of the warehouse: after the first build and after the second."""
    root = tmp_path_factory.mktemp("golden")
    warehouse = root / "warehouse.duckdb"
    landing = root / "landing"
    build_bronze(landing, warehouse)
    write_crosswalk(warehouse, CROSSWALK)
    build(root, "first")
    first = {
        "golden": query(
            warehouse,
            f"select {GOLDEN_COLUMNS} from silver.int_customer__golden_record order by 1",
        ),
        "dim": query(warehouse, "select * from gold.dim_customer order by scv_customer_id"),
    }
    # the move arrives in a CRM delta export; SCV-D is merged away by identity resolution
    write_csv(landing / "d365/contact/contact_20250301T000000.csv", CONTACT_HEADER, CONTACTS_MARCH)
    load_bronze(landing, warehouse)
    write_crosswalk(warehouse, [row for row in CROSSWALK if row[2] != "SCV-D"])
    build(root, "second")
    return root, first


def test_golden_record_applies_survivorship(builds):
    _, first = builds
    golden = {row[0]: row for row in first["golden"]}
    assert sorted(golden) == ["SCV-A", "SCV-B", "SCV-C", "SCV-D"]
    assert golden["SCV-A"] == (
        "SCV-A", "Ann", "Smith-Jones", "Ann Smith-Jones",
        "ann.smith@x.com",          # the latest CRM e-mail beats legacy and shop
        "+16175550100",             # the CRM mobile phone
        "12 Maple Street", "Boston", "MA", "02134",  # latest complete CRM address
        date(1980, 5, 17),          # only legacy has a birth date
        None,                       # no CRM employment status
        date(2010, 2, 1),           # legacy Customer Since beats createdon and card opened_on
        True, "d365,legacy,shop", 1, 1, 1, C1,
    )  # fmt: skip
    # C2's older re-export does not win; no mobile -> CRM business phone; CRM birth date
    # and legacy DOB disagree (one each): the CRM one wins the tie
    b = golden["SCV-B"]
    assert b[1:6] == ("Bob", "Jones", "Bob Jones", "bob@y.com", "+16175550199")
    assert b[6:10] == ("12 Maple Street", "Boston", "NY", "10001")
    assert b[10] == date(1975, 3, 2)
    assert b[12] == date(2011, 3, 4)
    # C3 is inactive and has no complete main address: its CRM primary address wins
    c = golden["SCV-C"]
    assert c[6:10] == ("7 Elm Avenue", "Hartford", "CT", "06103")
    assert c[13] is False
    # a legacy-only customer without a ZIP has no complete address
    d = golden["SCV-D"]
    assert (d[1], d[2], d[6], d[13], d[14]) == ("Mary", "O'Brien", None, False, "legacy")


def test_dim_customer_first_build_has_one_current_version_each(builds):
    _, first = builds
    assert len(first["dim"]) == 4


def test_a_move_opens_a_new_version_and_closes_the_old_one(builds):
    root, _ = builds
    versions = query(
        root / "warehouse.duckdb",
        "select address_line1, city, postal_code, valid_from, valid_to, is_current, customer_sk "
        "from gold.dim_customer where scv_customer_id = 'SCV-A' order by valid_from",
    )
    assert len(versions) == 2
    old, new = versions
    assert old[:3] == ("12 Maple Street", "Boston", "02134")
    assert new[:3] == ("99 New Street", "Cambridge", "02139")
    assert old[5] is False and new[5] is True
    assert old[4] is not None and old[4] == new[3] and new[4] is None
    assert old[6] != new[6]


def test_unchanged_customers_keep_one_version_and_removed_ones_are_closed(builds):
    root, _ = builds
    counts = dict(
        query(
            root / "warehouse.duckdb",
            "select scv_customer_id, count(*) || '/' || count(*) filter (where is_current) "
            "from gold.dim_customer group by 1",
        )
    )
    assert counts == {"SCV-A": "2/1", "SCV-B": "1/1", "SCV-C": "1/1", "SCV-D": "1/0"}


def test_dbt_tests_of_golden_record_and_dimension_ran_and_passed(builds):
    root, _ = builds
    results = json.loads((root / "target_second/run_results.json").read_text())["results"]
    ours = {
        r["unique_id"]: r["status"]
        for r in results
        if "golden_record" in r["unique_id"] or "dim_customer" in r["unique_id"]
    }
    assert any(uid.startswith("unit_test.") for uid in ours), ours
    assert any(uid.startswith("snapshot.") for uid in ours), ours
    assert len([uid for uid in ours if uid.startswith("test.")]) >= 8, ours
    assert all(status in ("pass", "success") for status in ours.values()), ours
