"""The production Dagster instance configuration: PostgreSQL from the DAGSTER_PG_* variables."""

from pathlib import Path

import yaml
from dagster._core.instance.config import dagster_instance_config

from scv_platform.cli import PROD_INSTANCE_CONFIG, prepare_dagster_home
from scv_platform.settings import load_settings


def test_prod_instance_config_is_valid_and_reads_postgres_from_the_environment(monkeypatch):
    for name, value in {
        "DAGSTER_PG_HOST": "db.internal",
        "DAGSTER_PG_PORT": "5432",
        "DAGSTER_PG_USER": "dagster",
        "DAGSTER_PG_PASSWORD": "pg-secret-value",
        "DAGSTER_PG_DB": "dagster",
    }.items():
        monkeypatch.setenv(name, value)
    config, _ = dagster_instance_config(str(PROD_INSTANCE_CONFIG.parent), PROD_INSTANCE_CONFIG.name)
    database = config["storage"]["postgres"]["postgres_db"]
    assert database["password"] == {"env": "DAGSTER_PG_PASSWORD"}
    assert {v["env"] for v in database.values()} == {
        "DAGSTER_PG_HOST", "DAGSTER_PG_PORT", "DAGSTER_PG_USER", "DAGSTER_PG_PASSWORD",
        "DAGSTER_PG_DB",
    }  # fmt: skip
    assert "pg-secret-value" not in PROD_INSTANCE_CONFIG.read_text()


def test_a_new_instance_gets_postgres_in_prod_and_sqlite_otherwise(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("SCV_ENV", "prod")
    monkeypatch.setenv("DAGSTER_PG_HOST", "db.internal")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "prod_home"))
    home = prepare_dagster_home(load_settings())
    assert "postgres" in yaml.safe_load((home / "dagster.yaml").read_text())["storage"]
    monkeypatch.delenv("DAGSTER_PG_HOST")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "no_pg_home"))
    home = prepare_dagster_home(load_settings())
    storage = yaml.safe_load((home / "dagster.yaml").read_text())["storage"]
    assert storage["custom"]["class"] == "PooledSqliteStorage"  # SQLite files, pooled engines
