"""The share views on DuckDB (plain views there): PII masked, everything else as in gold."""

from __future__ import annotations

import hashlib

import pytest

from scv_platform.warehouse.duckdb_connection import connect
from scv_platform_tests.test_dbt_staging import build_bronze, run_dbt
from scv_platform_tests.test_golden_record import CROSSWALK, write_crosswalk

HASHED = ("first_name", "last_name", "full_name", "email", "phone", "address_line1",
          "d365_contact_ids")  # fmt: skip


def sha256(value: object) -> str | None:
    if value is None:
        return None
    return hashlib.sha256(str(value).strip().lower().encode()).hexdigest()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    root = tmp_path_factory.mktemp("share_views")
    warehouse = root / "warehouse.duckdb"
    build_bronze(root / "landing", warehouse)
    write_crosswalk(warehouse, CROSSWALK)
    select = ["--select", "+share_dim_customer", "--indirect-selection", "buildable"]
    result = run_dbt(["build", *select], warehouse, root / "target")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    con = connect(warehouse, read_only=True)
    yield con
    con.close()


def test_share_view_masks_pii_and_keeps_the_rest(warehouse):
    [(kind,)] = warehouse.execute(
        "SELECT table_type FROM information_schema.tables "
        "WHERE table_schema = 'share' AND table_name = 'dim_customer'"
    ).fetchall()
    assert kind == "VIEW"
    gold = warehouse.execute("SELECT * FROM gold.dim_customer ORDER BY customer_sk").df()
    share = warehouse.execute("SELECT * FROM share.dim_customer ORDER BY customer_sk").df()
    assert len(share) == len(gold) > 0
    assert not {*HASHED, "birth_date"} & set(share.columns)
    for column in HASHED:
        assert share[f"{column}_sha256"].tolist() == [sha256(v) for v in gold[column]]
    [(years, differing)] = warehouse.execute(
        "SELECT count(s.birth_year), count_if(s.birth_year IS DISTINCT FROM year(g.birth_date)) "
        "FROM share.dim_customer s JOIN gold.dim_customer g USING (customer_sk)"
    ).fetchall()
    assert years > 0 and differing == 0
    kept = [c for c in gold.columns if c not in HASHED and c != "birth_date"]
    assert share[kept].astype(str).equals(gold[kept].astype(str))
    raw = {str(v) for c in HASHED for v in gold[c].dropna()}
    shared = {str(v) for c in share.columns for v in share[c].dropna()}
    assert raw and not raw & shared  # no name, e-mail, phone or street reaches the view
