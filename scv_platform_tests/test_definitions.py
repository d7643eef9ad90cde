"""The one Definitions object loads, validates and exposes what the platform promises."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
from dagster_snowflake import SnowflakeResource

from scv_platform.definitions import build_definitions
from scv_platform.settings import PROJECT_ROOT, load_settings
from scv_platform.sources.specs import SOURCES


@pytest.fixture
def local_env(monkeypatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("SCV_LANDING_DIR", str(tmp_path / "landing"))
    monkeypatch.setenv("SCV_WAREHOUSE_PATH", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("SCV_HISTORY_START", "2025-01-01")
    (tmp_path / "home").mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    return tmp_path


def test_definitions_load_validate_and_name_every_bronze_asset(local_env):
    defs = build_definitions(load_settings())
    dg.Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.materializable_asset_keys}
    assert {f"bronze/{s.table}" for s in SOURCES} <= keys
    checks = {k.name for k in graph.asset_check_keys}
    for spec in SOURCES:
        assert {f"{spec.table}_load_reconciliation", f"{spec.table}_rejected_files"} <= checks
    for key in graph.materializable_asset_keys:
        assert graph.get(key).description, f"{key} has no description"
    for spec in SOURCES:
        node = graph.get(dg.AssetKey(["bronze", spec.table]))
        assert (node.partitions_def is not None) == spec.daily
    assert defs.resolve_job_def("scv_full_build") is not None


def test_every_check_says_what_it_asserts_and_what_a_failure_does(local_env):
    graph = build_definitions(load_settings()).resolve_asset_graph()
    specs = {
        key.name: assets_def.get_spec_for_check_key(key)
        for assets_def in graph.assets_defs
        for key in assets_def.check_keys
    }
    assert not [name for name, spec in specs.items() if not spec.description]
    relationship = specs[
        "relationships_fct_transactions_merchant_category__merchant_category__ref_dim_merchant_category_"
    ]
    assert relationship.description == (
        "Every `merchant_category` is found in `dim_merchant_category.merchant_category` "
        "(no orphan keys). Severity error: a failure blocks the assets downstream. On a "
        "day-partitioned run it judges the run's days only."
    )
    values = specs["accepted_values_identity_overrides_decision__merge__never_merge"]
    assert values.description.startswith("`decision` is one of: merge, never_merge.")
    warned = specs["not_flagged_fct_transactions_mcc_unparsable"].description
    assert warned.startswith("No row has the flag `mcc_unparsable` set. Severity warn")
    own = specs["fct_transactions_key_issue_matches_flags"].description  # from its YAML
    assert own.startswith("key_issue is set exactly when the card or its holder")


def test_daily_partitions_start_at_the_history_start(local_env):
    defs = build_definitions(load_settings())
    node = defs.resolve_asset_graph().get(dg.AssetKey(["bronze", "shop_orders"]))
    assert node.partitions_def.get_first_partition_key() == "2025-01-01"


def test_prod_environment_uses_snowflake_from_env_vars(local_env, monkeypatch):
    monkeypatch.setenv("SCV_ENV", "prod")
    for name in ("ACCOUNT", "USER", "PASSWORD", "ROLE", "WAREHOUSE", "DATABASE"):
        monkeypatch.setenv(f"SNOWFLAKE_{name}", f"test-{name.lower()}")
    defs = build_definitions(load_settings())
    warehouse = defs.resources["warehouse"]
    assert isinstance(warehouse, SnowflakeResource)
    node = defs.resolve_asset_graph().get(dg.AssetKey(["bronze", "shop_orders"]))
    assert "snowflake" in node.kinds
    assert "test-password" not in repr(defs.resources)


def test_dagster_cli_validates_the_workspace(local_env):
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    completed = subprocess.run(
        [str(Path(sys.executable).parent / "dagster"), "definitions", "validate", "-w",
         "workspace.yaml"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_a_run_keeps_all_checks_the_dbt_tests_or_none(local_env):
    from scv_platform.runner.execute import checks_to_run, plan_stages, stage_selection

    defs = build_definitions(load_settings())
    graph = defs.resolve_asset_graph()
    dbt_tests = checks_to_run(defs, "dbt")
    names = {key.name for key in dbt_tests}
    assert "unique_fct_transactions_transaction_id" in names
    assert "orders_quantity_iqr" not in names and "identity_largest_cluster" not in names
    assert checks_to_run(defs, "all") is None and checks_to_run(defs, "none") == frozenset()
    stages = plan_stages(defs, dg.AssetSelection.from_string("kind:dbt"), with_partitions=True)
    for stage in stages:
        every = stage_selection(stage).resolve_checks(graph)
        only = stage_selection(stage, dbt_tests).resolve_checks(graph)
        assert only == every & dbt_tests
        assert stage_selection(stage, dbt_tests).resolve(graph) == stage.keys
        # without checks: the same assets, not one check
        assert stage_selection(stage, frozenset()).resolve(graph) == stage.keys
        assert stage_selection(stage, frozenset()).resolve_checks(graph) == set()
    daily = next(s for s in stages if s.partitioned)
    assert any(
        k.name == "orders_quantity_iqr" for k in stage_selection(daily).resolve_checks(graph)
    )


def test_no_scv_run_step_is_a_dbt_process_for_tests_alone(local_env):
    from scv_platform.runner.execute import plan_stages, stage_job

    defs = build_definitions(load_settings())
    steps = {}
    for stage in plan_stages(defs, None, with_partitions=True):
        for assets_def in stage_job(defs, stage).asset_layer.asset_graph.assets_defs:
            if assets_def.is_executable and assets_def.node_def.name.startswith("scv_dbt"):
                checks = {key.name for key in assets_def.check_keys}
                steps[(stage.job_name, frozenset(assets_def.keys))] = checks
    assert steps and all(keys for _, keys in steps)
    # a test reading a model built later in the same run still waits for it
    reconciles = "metric_customer_ltv_matches_profile"
    holder = [keys for (_, keys), checks in steps.items() if reconciles in checks]
    assert holder and dg.AssetKey(["gold", "customer_360_profile"]) in holder[0]
