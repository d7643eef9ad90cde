"""The Definitions expose the jobs, schedules, sensors, freshness policies, automation
conditions and retry policies of the operations issue, with their names and crons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest
from dagster._core.storage.tags import PARTITION_NAME_TAG

from scv_platform.automation.policies import (
    daily_freshness_policy,
    gold_automation_condition,
)
from scv_platform.automation.retries import (
    BRONZE_RETRY,
    DBT_RETRY,
    IDENTITY_RETRY,
    call_with_retry,
)
from scv_platform.transform.assets import partition_vars
from scv_platform.transform.translator import ScvDbtTranslator
from scv_platform_tests.automation_support import platform_definitions

SENSORS = {
    "scv_landing_zone_sensor",
    "scv_run_failure_alerts",
    "scv_check_failure_alerts",
    "scv_automation",
}


@pytest.fixture(scope="module")
def defs(tmp_path_factory) -> dg.Definitions:
    with platform_definitions(tmp_path_factory.mktemp("platform")) as definitions:
        yield definitions


def test_jobs_schedules_and_sensors_have_their_names_crons_and_run_by_default(defs):
    dg.Definitions.validate_loadable(defs)
    assert {j.name for j in defs.jobs} == {"scv_full_build", "scv_daily", "scv_monitoring"}
    daily = defs.resolve_job_def("scv_daily")
    assert daily.partitions_def.get_first_partition_key() == "2025-01-01"
    graph = defs.resolve_asset_graph()
    assert set(daily.asset_layer.selected_asset_keys) == set(graph.materializable_asset_keys)
    monitoring = defs.resolve_job_def("scv_monitoring")
    assert monitoring.partitions_def is None  # checks only: the day comes as a run tag
    assert not monitoring.asset_layer.selected_asset_keys  # checks only
    assert set(monitoring.asset_layer.asset_graph.asset_check_keys) == set(graph.asset_check_keys)

    schedules = {s.name: defs.resolve_schedule_def(s.name) for s in defs.schedules}
    assert set(schedules) == {"scv_daily_schedule", "scv_monitoring_schedule"}
    for name, job, cron in (
        ("scv_daily_schedule", "scv_daily", "0 2 * * *"),
        ("scv_monitoring_schedule", "scv_monitoring", "0 */6 * * *"),
    ):
        assert (schedules[name].job_name, schedules[name].cron_schedule) == (job, cron)
        assert schedules[name].execution_timezone == "UTC"
        assert schedules[name].default_status == dg.DefaultScheduleStatus.RUNNING

    sensors = {s.name: s for s in defs.sensors}
    assert set(sensors) == SENSORS
    assert all(s.default_status == dg.DefaultSensorStatus.RUNNING for s in sensors.values())
    assert isinstance(sensors["scv_automation"], dg.AutomationConditionSensorDefinition)
    assert isinstance(sensors["scv_run_failure_alerts"], dg.RunStatusSensorDefinition)
    assert sensors["scv_landing_zone_sensor"].job_name == "scv_daily"


def test_daily_schedule_builds_the_previous_day_at_two(defs):
    schedule = defs.resolve_schedule_def("scv_daily_schedule")
    tick = datetime(2025, 6, 4, 2, 0, tzinfo=UTC)
    [request] = schedule.evaluate_tick(
        dg.build_schedule_context(scheduled_execution_time=tick)
    ).run_requests
    assert request.partition_key == "2025-06-03"
    assert request.job_name == "scv_daily"


def test_monitoring_schedule_checks_the_last_complete_day_every_six_hours(defs):
    schedule = defs.resolve_schedule_def("scv_monitoring_schedule")
    for hour in (0, 18):
        tick = datetime(2025, 6, 4, hour, 0, tzinfo=UTC)
        [request] = schedule.evaluate_tick(
            dg.build_schedule_context(scheduled_execution_time=tick)
        ).run_requests
        assert request.tags[PARTITION_NAME_TAG] == "2025-06-03"
    before_history = dg.build_schedule_context(
        scheduled_execution_time=datetime(2025, 1, 1, 6, 0, tzinfo=UTC)
    )
    assert schedule.evaluate_tick(before_history).run_requests == []


def test_every_gold_asset_has_the_daily_freshness_policy(defs):
    graph = defs.resolve_asset_graph()
    gold = [k for k in graph.materializable_asset_keys if k.path[0] == "gold"]
    assert {"gold/customer_crosswalk", "gold/dim_customer"} <= {k.to_user_string() for k in gold}
    for key in gold:  # Python gold assets (churn predictions) apply daily_freshness_policy()
        assert graph.get(key).freshness_policy == daily_freshness_policy(), key
    assert graph.get(dg.AssetKey(["silver", "stg_d365__contacts"])).freshness_policy is None
    policy = daily_freshness_policy()
    assert policy.fail_window.to_timedelta() == timedelta(hours=26)
    assert policy.warn_window.to_timedelta() == timedelta(hours=25)


def test_gold_models_update_declaratively_and_silver_does_not(defs):
    graph = defs.resolve_asset_graph()
    dim = graph.get(dg.AssetKey(["gold", "dim_customer"])).automation_condition
    assert dim.get_label() == "on_cron(0 2 * * *, UTC)"
    for key in graph.materializable_asset_keys:
        if key.path[0] != "gold":
            assert graph.get(key).automation_condition is None, key
    # models another engineer adds later are keyed on layer and name, not listed anywhere
    translator = ScvDbtTranslator()

    def condition(name: str, tags: list[str]) -> dg.AutomationCondition | None:
        props = {"resource_type": "model", "name": name, "fqn": ["scv_dbt", "marts", name],
                 "config": {"schema": "gold"}, "tags": tags}  # fmt: skip
        return translator.get_automation_condition(props)

    assert condition("fct_transactions", ["gold", "daily_partitioned"]) is None
    assert condition("dim_date", ["gold"]).get_label().startswith("on_cron")
    assert condition("customer_360_profile", ["gold"]).get_label() == "eager"
    assert gold_automation_condition("metric_customer_ltv", daily_partitioned=False) == (
        dg.AutomationCondition.eager()
    )


def test_marts_rebuild_once_after_their_facts_update():
    """The eager condition given to marts, evaluated on a two-asset graph: a fact update
    requests the mart once; the next evaluation requests nothing."""

    @dg.asset
    def fact() -> None: ...

    @dg.asset(deps=[fact], automation_condition=gold_automation_condition("mart", False))
    def mart() -> None: ...

    with dg.instance_for_test() as instance:
        assert dg.materialize([fact, mart], instance=instance).success
        first = dg.evaluate_automation_conditions(defs=[fact, mart], instance=instance)
        assert first.total_requested == 0
        assert dg.materialize([fact], instance=instance).success
        second = dg.evaluate_automation_conditions(
            defs=[fact, mart], instance=instance, cursor=first.cursor
        )
        assert second.get_requested_partitions(mart.key) == {None}
        third = dg.evaluate_automation_conditions(
            defs=[fact, mart], instance=instance, cursor=second.cursor
        )
        assert third.total_requested == 0


def test_retry_policies_per_layer_back_off_exponentially(defs):
    graph = defs.resolve_asset_graph()

    def policy(key: list[str]) -> dg.RetryPolicy:
        return graph.get(dg.AssetKey(key)).assets_def.op.retry_policy

    assert policy(["bronze", "card_transactions"]) == BRONZE_RETRY
    assert policy(["bronze", "legacy_customers"]) == BRONZE_RETRY
    assert policy(["silver", "stg_d365__contacts"]) == DBT_RETRY
    assert policy(["gold", "dim_customer"]) == DBT_RETRY
    assert policy(["gold", "customer_crosswalk"]) == IDENTITY_RETRY
    for retry in (BRONZE_RETRY, DBT_RETRY, IDENTITY_RETRY):
        assert retry.backoff == dg.Backoff.EXPONENTIAL and retry.jitter == dg.Jitter.PLUS_MINUS
    assert BRONZE_RETRY.max_retries > IDENTITY_RETRY.max_retries


def test_call_with_retry_doubles_its_wait_and_gives_up_after_the_last_attempt():
    calls, waits = [], []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionError("down")
        return "sent"

    assert call_with_retry(flaky, attempts=3, delay_seconds=1.0, sleep=waits.append) == "sent"
    assert waits == [1.0, 2.0]

    def down() -> None:
        calls.append(1)
        raise ConnectionError("still down")

    calls.clear()
    with pytest.raises(ConnectionError, match="still down"):
        call_with_retry(down, attempts=2, delay_seconds=0.5, sleep=waits.append)
    assert len(calls) == 2 and waits == [1.0, 2.0, 0.5]


def test_checks_only_runs_of_daily_dbt_models_see_every_day():
    """dbt vars of a run: the day window when partitioned; none (all days, the project's
    defaults) for a run without a partition, such as checks launched on their own."""
    seen: list[dict] = []
    days = dg.DailyPartitionsDefinition(start_date="2025-01-01")

    @dg.asset(partitions_def=days)
    def daily_model(context) -> None:
        seen.append(partition_vars(context))

    @dg.asset
    def unpartitioned_model(context) -> None:
        seen.append(partition_vars(context))

    assert dg.materialize([daily_model], partition_key="2025-01-02").success
    assert dg.materialize([unpartitioned_model]).success
    assert seen == [{"min_date": "2025-01-02", "max_date": "2025-01-03"}, {}]
