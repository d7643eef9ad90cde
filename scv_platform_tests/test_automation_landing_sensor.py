"""The landing-zone sensor of the real Definitions, ticked with build_sensor_context on a real
(temporary, SQLite) instance over hand-made landing files."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.definitions.sensor_definition import SensorExecutionData

from scv_platform.automation.landing_sensor import LANDING_SENSOR, LandingCursor
from scv_platform.resources.landing_zone import LandingZoneResource
from scv_platform_tests.automation_support import platform_definitions
from scv_platform_tests.conftest import TRANSACTION_HEADER, transaction_row, write_csv
from scv_platform_tests.test_dbt_staging import (
    CONTACT_HEADER,
    CONTACTS_JANUARY,
    ORDER_HEADER,
    ORDERS_DAY_1,
    WEATHER,
    WEATHER_HEADER,
    write_workbook,
)

SETTLE_SECONDS = 1
TX = dg.AssetKey(["bronze", "card_transactions"])


@pytest.fixture(scope="module")
def defs(tmp_path_factory) -> dg.Definitions:
    root = tmp_path_factory.mktemp("platform")
    with platform_definitions(root, SCV_LANDING_SETTLE_SECONDS=str(SETTLE_SECONDS)) as definitions:
        yield definitions


def settle() -> None:
    """Wait until files written so far are older than the settle time."""
    time.sleep(SETTLE_SECONDS + 0.05)


@pytest.fixture(scope="module")
def instance():
    """One persistent (SQLite) instance; each test starts a sensor with no cursor on it."""
    with dg.instance_for_test() as test_instance:
        yield test_instance


class Ticker:
    """Evaluates the sensor tick after tick, carrying the cursor like the daemon does."""

    def __init__(self, defs: dg.Definitions, instance: dg.DagsterInstance, landing: Path):
        self.defs, self.instance, self.landing = defs, instance, landing
        self.cursor: str | None = None

    def tick(self) -> SensorExecutionData:
        context = dg.build_sensor_context(
            instance=self.instance,
            cursor=self.cursor,
            definitions=self.defs,
            resources={"landing_zone": LandingZoneResource(root=str(self.landing))},
        )
        result = self.defs.resolve_sensor_def(LANDING_SENSOR).evaluate_tick(context)
        self.cursor = result.cursor or self.cursor
        return result


@pytest.fixture
def ticker(defs, instance, landing) -> Ticker:
    return Ticker(defs, instance, landing)


def transactions(landing: Path, day: str, rows: int = 3) -> Path:
    path = landing / f"cards/transactions/transactions_{day}.csv"
    return write_csv(path, TRANSACTION_HEADER, [transaction_row(i, day) for i in range(rows)])


def keys(request: dg.RunRequest) -> set[str]:
    return {k.to_user_string() for k in request.asset_selection}


def test_new_daily_file_runs_its_day_once_and_again_when_delivered_again(ticker, landing):
    transactions(landing, "2025-01-02")
    settle()
    [request] = ticker.tick().run_requests
    assert request.partition_key == "2025-01-02"
    assert request.run_key.startswith("landing:2025-01-02:")
    selected = keys(request)
    assert {"bronze/card_transactions", "silver/stg_cards__transactions",
            "gold/fct_transactions", "gold/customer_360_profile"} <= selected  # fmt: skip
    assert not {"bronze/shop_orders", "gold/fct_orders", "bronze/d365_contact"} & selected
    assert request.tags["scv/trigger"] == LANDING_SENSOR
    cursor = ticker.cursor
    assert len(cursor) < 200  # stored with every tick: stays small

    again = ticker.tick()  # the same file: nothing, and the cursor does not change
    assert again.run_requests == [] and ticker.cursor == cursor
    assert "no new complete landing file" in again.skip_message

    transactions(landing, "2025-01-02", rows=5)  # delivered again under the same name
    settle()
    [redelivered] = ticker.tick().run_requests
    assert redelivered.partition_key == "2025-01-02" and redelivered.run_key != request.run_key
    assert ticker.tick().run_requests == []


def test_a_file_still_being_written_waits_until_it_is_complete(ticker, landing):
    path = transactions(landing, "2025-01-03")  # just written
    (landing / "cards/transactions/transactions_2025-01-04.csv.part").write_text("partial")
    first = ticker.tick()
    assert first.run_requests == []
    assert "1 still being written" in first.skip_message
    assert set(LandingCursor.from_json(ticker.cursor).pending) == {
        "cards/transactions/transactions_2025-01-03.csv"
    }

    with path.open("a") as handle:  # the writer adds rows, then stops
        handle.write("T9,CA1,2025-01-03T11:00:00,1.00,Shop,grocery,5411,online,approved,\n")
    settle()
    assert ticker.tick().run_requests == []  # settled, but it changed since the last tick

    [request] = ticker.tick().run_requests  # unchanged for a whole tick: complete
    assert request.partition_key == "2025-01-03"
    assert ticker.tick().run_requests == []


def test_reference_files_run_their_bronze_assets_and_unpartitioned_downstream(
    ticker, landing, defs
):
    write_workbook_file(landing)
    contacts = landing / "d365/contact/contact_20250301T000000.csv"
    write_csv(contacts, CONTACT_HEADER, CONTACTS_JANUARY)
    settle()
    [request] = ticker.tick().run_requests
    assert request.partition_key is None
    assert request.run_key.startswith("landing:reference:")
    selected = keys(request)
    assert {"bronze/legacy_customers", "bronze/d365_contact", "silver/stg_legacy__customers"} <= (
        selected
    )
    assert {"gold/customer_crosswalk", "gold/dim_customer"} <= selected
    assert "bronze/shop_products" not in selected
    graph = defs.resolve_asset_graph()
    assert all(graph.get(k).partitions_def is None for k in request.asset_selection)
    assert ticker.tick().run_requests == []


def write_workbook_file(landing: Path) -> Path:
    path = landing / "legacy/branch_export.xlsx"
    write_workbook(path, [["L900", "Doe, Jane", "jane@x.com", "", "", "", "", "", "", "", ""]])
    return path


def test_one_run_per_day_and_files_wait_for_their_partition(ticker, landing):
    write_csv(landing / "shop/orders/orders_2025-01-05.csv", ORDER_HEADER, ORDERS_DAY_1)
    weather = landing / "weather/forecast_day/forecast_day_2025-01-05.csv"
    write_csv(weather, WEATHER_HEADER, WEATHER)
    transactions(landing, "2025-01-06")
    today = datetime.now(UTC).date().isoformat()
    transactions(landing, today)  # its partition exists once the day is over
    transactions(landing, "2024-12-31")  # before the history start
    settle()
    result = ticker.tick()
    by_day = {r.partition_key: r for r in result.run_requests}
    assert set(by_day) == {"2025-01-05", "2025-01-06"}
    assert {"bronze/shop_orders", "bronze/weather_forecast_day"} <= keys(by_day["2025-01-05"])
    assert "gold/dim_customer" in keys(by_day["2025-01-05"])  # orders feed identity resolution
    assert "bronze/card_transactions" not in keys(by_day["2025-01-05"])
    assert "bronze/shop_orders" not in keys(by_day["2025-01-06"])
    assert f"cards/transactions/transactions_{today}.csv" in (
        LandingCursor.from_json(ticker.cursor).pending
    )
    later = ticker.tick()
    assert later.run_requests == []
    assert "1 waiting for their day's partition" in later.skip_message


def test_first_tick_takes_files_already_loaded_as_the_baseline(ticker, landing, instance):
    transactions(landing, "2025-01-07")
    transactions(landing, "2025-01-08")
    settle()
    instance.report_runless_asset_event(dg.AssetMaterialization(TX, partition="2025-01-07"))
    [request] = ticker.tick().run_requests
    assert request.partition_key == "2025-01-08"
    assert ticker.tick().run_requests == []
