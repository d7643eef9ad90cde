"""Production resources in-process on fakesnow: credentials, the IO manager, the gateway.

``fakesnow.patch()`` replaces the Snowflake connector inside this process, so the real
``SnowflakeResource`` and ``SnowflakePandasIOManager`` run unchanged against it.
"""

from pathlib import Path

import dagster as dg
import fakesnow
import pandas as pd
import pytest
from dagster_snowflake import SnowflakeResource
from dagster_snowflake_pandas import SnowflakePandasIOManager

from scv_platform.definitions import build_definitions
from scv_platform.resources.build import WAREHOUSE_IO_MANAGER_KEY, build_resources
from scv_platform.resources.warehouse import WAREHOUSE_KEY
from scv_platform.settings import load_settings
from scv_platform.sources.marketplace_weather import SHARE_CHECK
from scv_platform.transform.project import scv_dbt_project
from scv_platform.warehouse.frames import FrameWrite, duckdb_table_write
from scv_platform.warehouse.gateway import open_gateway

pytestmark = pytest.mark.snowflake

SECRET = "pw-Zq8-never-shown"
PASSPHRASE = "passphrase-Zq8-never-shown"
WRITE_PANDAS = "dagster_snowflake_pandas.snowflake_pandas_type_handler.write_pandas"


@pytest.fixture
def prod_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SNOWFLAKE_HOST", "SNOWFLAKE_PORT", "SNOWFLAKE_PROTOCOL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("SNOWFLAKE_PRIVATE_KEY_PATH", raising=False)
    monkeypatch.setenv("SCV_ENV", "prod")
    monkeypatch.setenv("SNOWFLAKE_ACCOUNT", "scv-test")
    monkeypatch.setenv("SNOWFLAKE_USER", "scv_loader")
    monkeypatch.setenv("SNOWFLAKE_PASSWORD", SECRET)
    monkeypatch.setenv("SNOWFLAKE_ROLE", "SCV_TRANSFORMER")
    monkeypatch.setenv("SNOWFLAKE_WAREHOUSE", "SCV_WH")
    monkeypatch.setenv("SNOWFLAKE_DATABASE", "SCV")


def test_prod_resources_hold_references_to_secrets_not_their_values(prod_env):
    settings = load_settings()
    resources = build_resources(settings, scv_dbt_project(settings))
    warehouse, io_manager = resources[WAREHOUSE_KEY], resources[WAREHOUSE_IO_MANAGER_KEY]
    assert isinstance(warehouse, SnowflakeResource)
    assert isinstance(io_manager, SnowflakePandasIOManager)
    for resource in (warehouse, io_manager):
        assert isinstance(resource.password, dg.EnvVar)
        assert resource.password == "SNOWFLAKE_PASSWORD"
        assert resource.private_key_path is None
        assert (resource.role, resource.warehouse, resource.database) == (
            "SCV_TRANSFORMER", "SCV_WH", "SCV",
        )  # fmt: skip
        session = resource.additional_snowflake_connection_args["session_parameters"]
        assert session["TIMEZONE"] == "UTC"
        assert SECRET not in repr(resource)
    assert SECRET not in repr(settings)


def test_key_pair_authentication_when_a_private_key_path_is_set(prod_env, monkeypatch, tmp_path):
    monkeypatch.setenv("SNOWFLAKE_PRIVATE_KEY_PATH", str(tmp_path / "rsa_key.p8"))
    monkeypatch.setenv("SNOWFLAKE_PRIVATE_KEY_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("SNOWFLAKE_HOST", "127.0.0.1")
    monkeypatch.setenv("SNOWFLAKE_PORT", "8765")
    settings = load_settings()
    warehouse = build_resources(settings, scv_dbt_project(settings))[WAREHOUSE_KEY]
    assert warehouse.password is None
    assert warehouse.private_key_path == "SNOWFLAKE_PRIVATE_KEY_PATH"
    assert warehouse.private_key_password == "SNOWFLAKE_PRIVATE_KEY_PASSPHRASE"
    args = warehouse.additional_snowflake_connection_args
    assert (args["host"], args["port"]) == ("127.0.0.1", 8765)
    assert settings.snowflake.is_emulator and PASSPHRASE not in repr(settings)


def test_resource_and_io_manager_materialise_and_read_back_in_process(prod_env, capsys):
    settings = load_settings()
    resources = build_resources(settings, scv_dbt_project(settings))
    frame = pd.DataFrame({"customer_id": ["C1", "C2", "C3"], "score": [0.1, 0.5, 0.9]})

    @dg.asset(key=["analytics", "scores"], io_manager_key=WAREHOUSE_IO_MANAGER_KEY)
    def scores() -> pd.DataFrame:
        return frame

    @dg.asset(
        key=["analytics", "score_check"],
        ins={"scores": dg.AssetIn(["analytics", "scores"])},
        io_manager_key=WAREHOUSE_IO_MANAGER_KEY,
        required_resource_keys={WAREHOUSE_KEY},
    )
    def score_check(context: dg.AssetExecutionContext, scores: pd.DataFrame) -> pd.DataFrame:
        with open_gateway(context.resources.warehouse) as gateway:
            rows = gateway.scalar("SELECT count(*) FROM analytics.scores")
        return pd.DataFrame({"rows_read": [len(scores)], "rows_in_table": [rows]})

    warehouse = {WAREHOUSE_KEY: resources[WAREHOUSE_KEY]}
    with fakesnow.patch(extra_targets=[WRITE_PANDAS]):
        with dg.build_resources(warehouse) as built, open_gateway(built.warehouse) as gateway:
            # the IO manager's first write expects its table to exist (STACK.md)
            gateway.execute("CREATE SCHEMA IF NOT EXISTS analytics")
            gateway.execute("CREATE TABLE analytics.scores (customer_id VARCHAR, score FLOAT)")
            gateway.execute("CREATE TABLE analytics.score_check (rows_read INT, rows_in_table INT)")
        result = dg.materialize(
            [scores, score_check],
            resources={k: resources[k] for k in (WAREHOUSE_KEY, WAREHOUSE_IO_MANAGER_KEY)},
        )
        with dg.build_resources(warehouse) as built, open_gateway(built.warehouse) as gateway:
            check = gateway.fetch_frame("SELECT * FROM analytics.score_check")
    assert result.success
    assert check.to_dict("records") == [{"rows_read": 3, "rows_in_table": 3}]
    events = "\n".join(str(e) for e in result.all_events)
    assert SECRET not in events and SECRET not in capsys.readouterr().out


def test_gateway_writes_frames_in_one_go_and_copies_tables_to_duckdb(prod_env):
    settings = load_settings()
    resources = build_resources(settings, scv_dbt_project(settings))
    columns = [("id", "VARCHAR"), ("p", "DOUBLE"), ("seen_at", "TIMESTAMP")]
    first = pd.DataFrame(
        {"id": ["a", "b"], "p": [0.5, None], "seen_at": pd.to_datetime(["2025-01-01", None])}
    )
    second = pd.DataFrame({"id": ["c"], "p": [1.0], "seen_at": pd.to_datetime(["2025-01-02"])})
    with (
        fakesnow.patch(),
        dg.build_resources({WAREHOUSE_KEY: resources[WAREHOUSE_KEY]}) as built,
        open_gateway(built.warehouse) as gateway,
    ):
        for frame in (first, second):  # the table is replaced, the log appended to
            table = FrameWrite("gold", "t", frame, columns)
            log = FrameWrite("gold", "log", frame, columns, append=True)
            gateway.write_frames([table, log])
        assert gateway.table_exists("gold", "t") and not gateway.table_exists("gold", "nope")
        with gateway.duckdb_copy([("gold", "t"), ("gold", "log"), ("gold", "nope")]) as con:
            replaced = con.execute("SELECT id, p FROM gold.t").fetchall()
            appended = con.execute("SELECT count(*), count(seen_at) FROM gold.log").fetchone()
            # a working copy's rows written back replace only the matching rows
            con.execute("UPDATE gold.log SET p = 9 WHERE id = 'a'")
            gateway.write_frames([duckdb_table_write(con, "gold", "log", "id = 'a'")])
        log_rows = gateway.execute("SELECT id, p FROM gold.log ORDER BY id, p")
    assert replaced == [("c", 1.0)]
    assert appended == (3, 2)
    assert log_rows == [("a", 9.0), ("b", None), ("c", 1.0)]


def test_prod_definitions_say_snowflake_and_check_the_weather_share(prod_env):
    defs = build_definitions(load_settings())
    graph = defs.resolve_asset_graph()
    kinds = {key: graph.get(key).kinds for key in graph.materializable_asset_keys}
    assert all("snowflake" in k for k in kinds.values()), kinds
    assert not any("duckdb" in k for key, k in kinds.items() if key.path[0] == "bronze")
    assert "dbt" in kinds[dg.AssetKey(["gold", "dim_customer"])]
    weather = dg.AssetKey(["bronze", "weather_forecast_day"])
    assert dg.AssetCheckKey(weather, SHARE_CHECK) in graph.asset_check_keys


def test_local_definitions_stay_on_duckdb(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("SCV_ENV", "local")
    monkeypatch.setenv("SCV_WAREHOUSE_PATH", str(tmp_path / "w.duckdb"))
    graph = build_definitions(load_settings()).resolve_asset_graph()
    kinds = [graph.get(key).kinds for key in graph.materializable_asset_keys]
    assert all("snowflake" not in k for k in kinds)
    weather = dg.AssetKey(["bronze", "weather_forecast_day"])
    assert dg.AssetCheckKey(weather, SHARE_CHECK) not in graph.asset_check_keys
