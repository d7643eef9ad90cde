"""Alert sensors and the notifier: real runs on a persistent (SQLite) instance, sensors ticked
with build_sensor_context, alerts read back from the alerts file and from local HTTP servers
standing in for Slack and a webhook."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import dagster as dg
import pytest
from dagster_duckdb import DuckDBResource

from scv_platform.automation.alert_sensors import (
    CHECK_FAILURE_SENSOR,
    RUN_FAILURE_SENSOR,
    build_check_failure_sensor,
    build_run_failure_sensor,
)
from scv_platform.automation.notifier import Alert, NotifierResource, notifier_resource
from scv_platform.partitions import daily_partitions
from scv_platform.resources.landing_zone import LandingZoneResource
from scv_platform.settings import SettingsError, load_settings
from scv_platform.sources.assets import build_bronze_assets
from scv_platform.sources.checks import build_all_bronze_checks
from scv_platform_tests.conftest import TRANSACTION_HEADER, transaction_row, write_csv

UI = "http://ui.example:3000"
TX = dg.AssetKey(["bronze", "card_transactions"])


def make_defs(landing: Path, warehouse: Path, alerts: Path) -> dg.Definitions:
    return dg.Definitions(
        assets=build_bronze_assets(daily_partitions(date(2025, 1, 1)), "duckdb"),
        asset_checks=build_all_bronze_checks(),
        jobs=[dg.define_asset_job("load_transactions", selection=dg.AssetSelection.assets(TX))],
        sensors=[build_run_failure_sensor(), build_check_failure_sensor()],
        resources={
            "warehouse": DuckDBResource(database=str(warehouse)),
            "landing_zone": LandingZoneResource(root=str(landing)),
            "notifier": NotifierResource(alerts_file=str(alerts), webserver_url=UI),
        },
    )


class Platform:
    """Runs the transactions job and ticks the alert sensors on one instance."""

    def __init__(self, defs: dg.Definitions, instance: dg.DagsterInstance, alerts: Path):
        self.defs, self.instance, self.alerts = defs, instance, alerts
        self.cursors: dict[str, str | None] = {RUN_FAILURE_SENSOR: None, CHECK_FAILURE_SENSOR: None}

    def run(self, day: str) -> dg.ExecuteInProcessResult:
        job = self.defs.resolve_job_def("load_transactions")
        return job.execute_in_process(
            instance=self.instance, partition_key=day, raise_on_error=False
        )

    def tick(self, name: str) -> None:
        context = dg.build_sensor_context(
            instance=self.instance,
            cursor=self.cursors[name],
            definitions=self.defs,
            resources={"notifier": self.defs.resources["notifier"]},
        )
        result = self.defs.resolve_sensor_def(name).evaluate_tick(context)
        self.cursors[name] = result.cursor or self.cursors[name]

    def sent(self) -> list[dict]:
        if not self.alerts.exists():
            return []
        return [json.loads(line) for line in self.alerts.read_text().splitlines()]


@pytest.fixture
def platform(landing: Path, warehouse_path: Path, tmp_path: Path) -> Iterator[Platform]:
    alerts = tmp_path / "alerts.jsonl"
    with dg.instance_for_test() as instance:
        yield Platform(make_defs(landing, warehouse_path, alerts), instance, alerts)


def test_a_failed_check_in_a_green_run_alerts_once(platform: Platform, landing: Path):
    platform.tick(CHECK_FAILURE_SENSOR)  # first tick: starts from now
    write_csv(
        landing / "cards/transactions/transactions_2025-01-02.csv",
        [c for c in TRANSACTION_HEADER if c != "amount"],  # a required column is missing
        [[v for c, v in zip(TRANSACTION_HEADER, transaction_row(1), strict=True) if c != "amount"]],
    )
    result = platform.run("2025-01-02")
    assert result.success  # the WARN check leaves the run green
    platform.tick(CHECK_FAILURE_SENSOR)
    [alert] = platform.sent()
    assert alert["kind"] == "check_failure" and alert["severity"] == "WARN"
    assert alert["run_url"] == f"{UI}/runs/{result.run_id}"
    assert "job load_transactions" in alert["where"] and "partition 2025-01-02" in alert["where"]
    [detail] = alert["details"]
    assert detail.startswith("WARN card_transactions_rejected_files on bronze/card_transactions")
    assert "1 of 1 files rejected" in detail

    platform.tick(CHECK_FAILURE_SENSOR)  # next tick: not repeated
    write_csv(
        landing / "cards/transactions/transactions_2025-01-03.csv",
        TRANSACTION_HEADER,
        [transaction_row(1, "2025-01-03")],
    )
    assert platform.run("2025-01-03").success
    platform.tick(CHECK_FAILURE_SENSOR)  # a run that still has the rejected file: alerted
    platform.tick(CHECK_FAILURE_SENSOR)
    assert len(platform.sent()) == 2


def test_checks_that_pass_send_nothing(platform: Platform, landing: Path):
    platform.tick(CHECK_FAILURE_SENSOR)
    write_csv(
        landing / "cards/transactions/transactions_2025-01-02.csv",
        TRANSACTION_HEADER,
        [transaction_row(i, "2025-01-02") for i in range(3)],
    )
    assert platform.run("2025-01-02").success
    platform.tick(CHECK_FAILURE_SENSOR)
    assert platform.sent() == []


def test_a_failed_run_alerts_once_with_the_failed_step_and_its_cause(landing: Path, tmp_path: Path):
    not_a_file = tmp_path / "warehouse-dir"
    not_a_file.mkdir()
    platform = None
    with dg.instance_for_test() as instance:
        alerts = tmp_path / "alerts.jsonl"
        platform = Platform(make_defs(landing, not_a_file, alerts), instance, alerts)
        platform.tick(RUN_FAILURE_SENSOR)  # first tick: starts from now
        result = platform.run("2025-01-02")
        assert not result.success
        platform.tick(RUN_FAILURE_SENSOR)
        platform.tick(RUN_FAILURE_SENSOR)
        [alert] = platform.sent()
    assert alert["kind"] == "run_failure" and alert["severity"] == "ERROR"
    assert alert["title"] == "Run of load_transactions failed: 1 step(s) failed"
    assert alert["run_url"] == f"{UI}/runs/{result.run_id}"
    assert "partition 2025-01-02" in alert["where"]
    assert "run in-process" in alert["where"]
    [detail] = alert["details"]
    assert detail.startswith("step bronze__card_transactions:")
    assert "cannot be opened" in detail


class Recorder(BaseHTTPRequestHandler):
    """Answers POSTs with the next status of ``statuses`` (then 200) and keeps the requests."""

    statuses: list[int]
    requests: list[tuple[str, dict, dict]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.requests.append((self.path, dict(self.headers), _decode(body)))
        status = self.statuses.pop(0) if self.statuses else 200
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"ok": true, "channel": "C1", "ts": "1.0"}')

    def log_message(self, *args: object) -> None:
        pass


def _decode(body: bytes) -> dict:
    try:
        return json.loads(body)
    except ValueError:  # slack_sdk posts form-encoded bodies
        from urllib.parse import parse_qsl

        return dict(parse_qsl(body.decode()))


@pytest.fixture
def server() -> Iterator[tuple[str, type[Recorder]]]:
    handler = type("Handler", (Recorder,), {"statuses": [], "requests": []})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", handler
    httpd.shutdown()
    httpd.server_close()


ALERT = Alert(
    kind="run_failure",
    title="Run of scv_daily failed: 1 step(s) failed",
    where="job scv_daily, partition 2025-06-03, code location scv_platform",
    run_id="abc123",
    details=("step bronze__shop_orders: the landing share is unreachable",),
)


def test_webhook_and_slack_get_the_alert_after_retries_and_secrets_stay_out(
    server, tmp_path: Path, caplog
):
    url, handler = server
    handler.statuses = [500]  # the first call fails, the retry succeeds
    notifier = NotifierResource(
        alerts_file=str(tmp_path / "alerts.jsonl"),
        webserver_url=UI,
        webhook_url=f"{url}/hooks/T0KEN-SECRET",
        slack_token="xoxb-SLACK-SECRET",
        slack_channel="#scv-alerts",
        slack_api_url=f"{url}/api/",
        retry_delay_seconds=0.01,
    )
    with caplog.at_level(logging.INFO):
        record = notifier.send(ALERT, logging.getLogger("test_alerts"))
    assert record["delivered"] == ["log", "slack", "webhook", "file"] and record["failed"] == []
    paths = [path for path, _, _ in handler.requests]
    assert paths == ["/api/chat.postMessage", "/api/chat.postMessage", "/hooks/T0KEN-SECRET"]
    _, slack_headers, slack_body = handler.requests[1]
    assert slack_headers["Authorization"] == "Bearer xoxb-SLACK-SECRET"
    assert slack_body["channel"] == "#scv-alerts"
    assert f"Run: {UI}/runs/abc123" in slack_body["text"]
    _, _, webhook_body = handler.requests[2]
    assert webhook_body["run_url"] == f"{UI}/runs/abc123"
    assert webhook_body["where"] == ALERT.where
    written = (tmp_path / "alerts.jsonl").read_text()
    for secret in ("T0KEN-SECRET", "SLACK-SECRET"):
        assert secret not in written and secret not in caplog.text
    assert "ALERT Run of scv_daily failed" in caplog.text


def test_a_channel_that_keeps_failing_is_logged_and_the_alert_still_written(
    server, tmp_path: Path, caplog
):
    url, handler = server
    handler.statuses = [503, 503, 503]
    notifier = NotifierResource(
        alerts_file=str(tmp_path / "alerts.jsonl"),
        webhook_url=f"{url}/hook",
        retry_delay_seconds=0.01,
    )
    record = notifier.send(ALERT, logging.getLogger("test_alerts"))
    assert len(handler.requests) == 3  # max_attempts
    assert record["failed"] == ["webhook"]
    assert "alert not delivered to webhook" in caplog.text
    assert json.loads((tmp_path / "alerts.jsonl").read_text())["title"] == ALERT.title
    assert record["run_url"] == "http://127.0.0.1:3000/runs/abc123"  # the default UI address


def test_notifier_reads_its_secrets_from_the_environment(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.setenv("SCV_SLACK_TOKEN", "xoxb-FROM-ENV")
    monkeypatch.setenv("SCV_SLACK_CHANNEL", "#ops")
    monkeypatch.setenv("SCV_ALERT_WEBHOOK_URL", "https://hooks.example/HOOK-SECRET")
    monkeypatch.setenv("DAGSTER_WEBSERVER_URL", "https://dagster.example/")
    settings = load_settings()
    notifier = notifier_resource(settings)
    assert notifier.alerts_file == str(tmp_path / "alerts.jsonl")
    assert notifier.webserver_url == "https://dagster.example"
    assert isinstance(notifier.slack_token, dg.EnvVar)
    assert isinstance(notifier.webhook_url, dg.EnvVar)
    shown = repr(notifier) + repr(settings)
    assert "FROM-ENV" not in shown and "HOOK-SECRET" not in shown
    monkeypatch.delenv("SCV_SLACK_CHANNEL")
    with pytest.raises(SettingsError, match="SCV_SLACK_CHANNEL"):
        load_settings()
