"""The whole dbt project on the ``prod`` (Snowflake) target, against the fakesnow emulator.

Bronze comes from a tiny simulated landing zone through the Snowflake loader; then ``dbt
build --target prod`` runs twice over it, the second time for one day (what a daily
partition run does), with a crosswalk in between so the snapshot merges real rows. Every
dbt call runs in a subprocess under a timeout.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scv_platform.settings import DBT_PROJECT_DIR
from scv_platform_tests.snowflake_emulator import load_bronze, simulate_small_landing

pytestmark = pytest.mark.snowflake

DBT_TIMEOUT = 600
# An incremental model like the daily facts (delete+insert, partition window by vars), so
# the incremental path is exercised whatever facts the project holds.
PROBE = "int_emulator__daily_transactions"
PROBE_SQL = """
{{ config(materialized='incremental', incremental_strategy='delete+insert',
          unique_key='transaction_id', schema='silver', tags=['daily_partitioned']) }}
select transaction_id, card_account_id, amount, _file_date as transaction_date
from {{ ref('stg_cards__transactions') }}
where _file_date >= cast('{{ var("min_date") }}' as date)
  and _file_date < cast('{{ var("max_date") }}' as date)
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the dbt project with the incremental probe model (the repository's own
    ``target/`` and logs stay untouched)."""
    copy = tmp_path / "scv_dbt"
    shutil.copytree(
        DBT_PROJECT_DIR, copy, ignore=shutil.ignore_patterns("target", "logs", ".user.yml")
    )
    (copy / "models" / "emulator_probe").mkdir()
    (copy / "models" / "emulator_probe" / f"{PROBE}.sql").write_text(PROBE_SQL)
    return copy


def run_dbt(project: Path, args: list[str]) -> subprocess.CompletedProcess:
    dbt = Path(sys.executable).parent / "dbt"
    command = [
        str(dbt), "--no-use-colors", *args, "--target", "prod",
        "--project-dir", str(project), "--profiles-dir", str(project),
        "--target-path", str(project / "target"), "--log-path", str(project / "logs"),
    ]  # fmt: skip
    return subprocess.run(
        command, env=dict(os.environ), capture_output=True, text=True, timeout=DBT_TIMEOUT
    )


def statuses(project: Path) -> dict[str, str]:
    results = json.loads((project / "target" / "run_results.json").read_text())["results"]
    return {r["unique_id"]: r["status"] for r in results}


def test_whole_project_builds_twice_on_the_snowflake_target(
    snowflake_emulator, snowflake_env, project: Path, tmp_path: Path
):
    database = snowflake_env["SNOWFLAKE_DATABASE"]
    loaded = load_bronze(simulate_small_landing(tmp_path))
    assert loaded["card_transactions"] > 0 and loaded["d365_contact"] > 0

    first = run_dbt(project, ["build"])
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-2000:]
    results = statuses(project)
    assert {"success", "pass"} >= set(results.values()) - {"warn"}, results
    kinds = {unique_id.split(".")[0] for unique_id in results}
    assert {"model", "seed", "snapshot", "test", "unit_test"} <= kinds
    probe = f"SELECT count(*) FROM {database}.SILVER.{PROBE.upper()}"
    [(probe_rows,)] = snowflake_emulator.query(database, probe)
    assert probe_rows == loaded["card_transactions"]

    # identity resolution's output, as the Python step would write it: one customer each
    snowflake_emulator.query(
        database,
        f"INSERT INTO {database}.GOLD.CUSTOMER_CROSSWALK SELECT source_system, "
        "source_record_id, 'C-' || source_system || '-' || source_record_id, 'singleton', "
        f"NULL, current_timestamp() FROM {database}.SILVER.INT_IDENTITY__CANDIDATES",
    )
    day = '{"min_date": "2025-03-02", "max_date": "2025-03-03"}'
    second = run_dbt(project, ["build", "--vars", day])
    assert second.returncode == 0, second.stdout[-4000:] + second.stderr[-2000:]
    assert re.search(r"Done\. PASS=\d+ WARN=\d+ ERROR=0", second.stdout), second.stdout[-2000:]
    [(probe_again,)] = snowflake_emulator.query(database, probe)
    assert probe_again == probe_rows  # the day was deleted and inserted again, not duplicated
    [(customers,)] = snowflake_emulator.query(
        database, f"SELECT count(*) FROM {database}.GOLD.DIM_CUSTOMER WHERE is_current"
    )
    [(identities,)] = snowflake_emulator.query(
        database, f"SELECT count(*) FROM {database}.GOLD.CUSTOMER_CROSSWALK"
    )
    assert customers == identities > 0  # the snapshot merged every new customer in

    # the share view: a secure view on Snowflake, PII hashed with Snowflake's sha2
    ddl = (project / "target/run/scv_dbt/models/share/share_dim_customer.sql").read_text()
    assert re.search(r"create or replace secure\s+view", ddl, re.IGNORECASE), ddl
    [(rows, wrong)] = snowflake_emulator.query(
        database,
        "SELECT count(*), "
        "count_if(s.email_sha256 IS DISTINCT FROM sha2(lower(trim(g.email)), 256)) "
        f"FROM {database}.SHARE.DIM_CUSTOMER s JOIN {database}.GOLD.DIM_CUSTOMER g "
        "USING (customer_sk)",
    )
    assert rows == customers and wrong == 0
    # grants as code: the emulator has no roles, so dbt logs what Snowflake would run
    for role in ("SCV_ANALYST", "SCV_SHARE_READER"):
        assert f"emulator, not run: grant usage on schema {database}.share to role {role}" in (
            second.stdout
        )
        assert re.search(
            rf"emulator, not run: grant select on \S+dim_customer\S* to {role}", second.stdout, re.I
        )
    share = run_dbt(
        project, ["run-operation", "create_customer_share", "--args", "{dry_run: true}"]
    )
    assert share.returncode == 0, share.stdout[-3000:]
    assert (
        f"dry run: grant select on view {database}.share.dim_customer to share SCV_CUSTOMER_SHARE"
        in share.stdout
    )


ENGINE_SPECIFIC = re.compile(
    r"\b(try_cast|try_to_\w+|regexp_full_match|regexp_matches|regexp_like|strptime|strftime|"
    r"iff|nvl|nvl2|zeroifnull|to_varchar|to_char|array_construct\w*|object_construct\w*|"
    r"list_value|struct_pack|epoch_ms|sha2|sha256|md5_number\w*)\s*\(",
    re.IGNORECASE,
)


def test_models_hold_no_engine_specific_sql():
    """Functions that exist on one engine only belong in dispatched macros (macros/)."""
    offenders = []
    for path in sorted((DBT_PROJECT_DIR / "models").rglob("*.sql")):
        # comments and Jinja (macro calls such as {{ regexp_full_match(...) }}) left out
        text = re.sub(r"--[^\n]*|\{\{.*?\}\}|\{%.*?%\}", "", path.read_text(), flags=re.DOTALL)
        offenders += [f"{path.name}: {m.group(1)}" for m in ENGINE_SPECIFIC.finditer(text)]
    assert not offenders, offenders
