"""The local warehouse resource opens the DuckDB file once per run and shares it: each step's
connection is a cursor on it, and dbt (opening the file with the profile's configuration) joins
the same database instead of waiting for the file; the file is closed when the run ends."""

from pathlib import Path

import dagster as dg
import duckdb
import pytest

from scv_platform.resources.warehouse import DuckDBWarehouse
from scv_platform.warehouse.duckdb_connection import DUCKDB_CONFIG, connection
from scv_platform.warehouse.gateway import open_gateway


def test_a_run_shares_one_open_database_and_closes_it_at_the_end(tmp_path: Path):
    path = tmp_path / "warehouse.duckdb"
    with dg.build_resources({"warehouse": DuckDBWarehouse(database=str(path))}) as resources:
        warehouse = resources.warehouse
        with open_gateway(warehouse) as gateway:
            gateway.execute("CREATE TABLE t AS SELECT 42 AS answer")
        # dbt-duckdb opens the file itself, with the profile's config_options: same database
        dbt_like = duckdb.connect(str(path), config=dict(DUCKDB_CONFIG))
        assert dbt_like.execute("SELECT answer FROM t").fetchone() == (42,)
        dbt_like.execute("INSERT INTO t VALUES (43)")
        dbt_like.close()  # dbt closes its own connection: the run's database stays open
        with open_gateway(warehouse) as gateway:
            assert gateway.scalar("SELECT count(*) FROM t") == 2
        # another configuration (a second database on the same file) is refused meanwhile
        with pytest.raises(duckdb.ConnectionException):
            duckdb.connect(str(path), read_only=True)
    # the run is over: the file is closed, anyone may open it
    with connection(path, read_only=True) as con:
        assert con.execute("SELECT sum(answer) FROM t").fetchone() == (85,)


def test_outside_a_run_each_connection_opens_and_closes_the_file(tmp_path: Path):
    path = tmp_path / "warehouse.duckdb"
    warehouse = DuckDBWarehouse(database=str(path))
    with open_gateway(warehouse) as gateway:
        gateway.execute("CREATE TABLE t AS SELECT 1 AS one")
    with connection(path, read_only=True) as con:  # no database kept open
        assert con.execute("SELECT one FROM t").fetchone() == (1,)


def test_scv_command_exits_with_the_run_summary_printed(tmp_path: Path):
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "SCV_LANDING_DIR": str(tmp_path / "landing"),
        "SCV_WAREHOUSE_PATH": str(tmp_path / "warehouse.duckdb"),
        "DAGSTER_HOME": str(tmp_path / "home"),
    }
    scv = Path(sys.executable).parent / "scv"
    done = subprocess.run(
        [str(scv), "run", "--select", "group:bronze"],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "Checks:" in done.stdout and done.stdout.rstrip().endswith("http://127.0.0.1:3000")
