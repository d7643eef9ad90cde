"""`dagster dev` on a fresh instance: its GraphQL API (what the UI reads) lists every asset and
check, both schedules and the sensors, running; a backfill launched through it, as the UI
launches one, runs three days as one run.

dagster dev runs in the background under job control (`set -m`, so it leads its own process
group and honours SIGTERM) and is stopped by its PID; every wait has a timeout.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from scv_platform.definitions import build_definitions
from scv_platform.settings import PROJECT_ROOT, load_settings
from scv_platform_tests.automation_support import platform_env
from scv_platform_tests.conftest import TRANSACTION_HEADER, transaction_row, write_csv

START_TIMEOUT = 420  # about 12 s on an idle machine, minutes on a loaded one
BACKFILL_TIMEOUT = 480
DAYS = ["2025-01-01", "2025-01-02", "2025-01-03"]
DAILY = [
    ["bronze", "card_transactions"],
    ["bronze", "shop_orders"],
    ["bronze", "weather_forecast_day"],
]

REPOSITORY = """{ repositoriesOrError { ... on RepositoryConnection { nodes {
  location { name } jobs { name }
  schedules { name cronSchedule executionTimezone scheduleState { status } }
  sensors { name sensorType sensorState { status } } } } } }"""
ASSETS = """{ assetNodes { assetKey { path } isMaterializable internalFreshnessPolicy { __typename }
  assetChecksOrError { ... on AssetChecks { checks { name } } } } }"""
LAUNCH_BACKFILL = """mutation($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message } } }"""
BACKFILL = """query($id: String!) { partitionBackfillOrError(backfillId: $id) {
  ... on PartitionBackfill { status runs(limit: 10) { runId status tags { key value } } } } }"""
MATERIALIZED = """query($path: [String!]!) { assetNodeOrError(assetKey: {path: $path}) {
  ... on AssetNode { assetMaterializations(limit: 10) { partition runId } } } }"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DagsterDev:
    def __init__(self, port: int):
        self.url = f"http://127.0.0.1:{port}"

    def get(self, path: str) -> bytes:
        with urllib.request.urlopen(f"{self.url}{path}", timeout=10) as response:
            return response.read()

    def graphql(self, query: str, **variables: object) -> dict:
        request = urllib.request.Request(
            f"{self.url}/graphql",
            data=json.dumps({"query": query, "variables": variables}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=120) as response:
            body = json.loads(response.read())
        assert "errors" not in body, body["errors"]
        return body["data"]


def wait_for(condition, timeout: float, what: str, interval: float = 1.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = condition()
        except OSError:  # not listening yet
            value = None
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    # the landing-zone sensor waits a day for files to settle: only the backfill runs here
    env = platform_env(tmp_path, SCV_LANDING_SETTLE_SECONDS="86400")
    for day in [*DAYS, "2025-01-04"]:
        rows = [transaction_row(i, day) for i in range(2)]
        landing = Path(env["SCV_LANDING_DIR"])
        write_csv(landing / f"cards/transactions/transactions_{day}.csv", TRANSACTION_HEADER, rows)
    return env


@pytest.fixture
def dagster_dev(env: dict[str, str], tmp_path: Path) -> Iterator[tuple[DagsterDev, float]]:
    port = free_port()
    dagster = Path(sys.executable).parent / "dagster"
    log = tmp_path / "dagster_dev.log"
    script = (
        f"set -m; '{dagster}' dev -w workspace.yaml -h 127.0.0.1 -p {port} > '{log}' 2>&1 & "
        "echo $!; wait"
    )
    started = time.monotonic()
    shell = subprocess.Popen(
        ["bash", "-c", script],
        cwd=PROJECT_ROOT,
        env={**os.environ, **env, "PYTHONWARNINGS": "ignore"},
        stdout=subprocess.PIPE,
        text=True,
    )
    pid = int(shell.stdout.readline())
    server = DagsterDev(port)
    try:
        wait_for(lambda: server.get("/server_info"), START_TIMEOUT, "dagster dev to answer")
        yield server, time.monotonic() - started
    finally:
        os.kill(pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            shell.wait(timeout=20)
        # whatever dagster dev left behind in its process group (code servers, run workers)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        shell.wait(timeout=30)


def test_dagster_dev_lists_everything_and_backfills_three_days_in_one_run(dagster_dev, env):
    server, startup_seconds = dagster_dev
    print(f"dagster dev answered /server_info after {startup_seconds:.1f} s")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        graph = build_definitions(load_settings()).resolve_asset_graph()
    expected_assets = {k.to_user_string() for k in graph.materializable_asset_keys}
    expected_checks = {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys}

    [repository] = server.graphql(REPOSITORY)["repositoriesOrError"]["nodes"]
    assert repository["location"]["name"] == "scv_platform"
    assert {"scv_daily", "scv_monitoring", "scv_full_build"} <= {
        j["name"] for j in repository["jobs"]
    }
    schedules = {s["name"]: s for s in repository["schedules"]}
    assert {n: (s["cronSchedule"], s["scheduleState"]["status"]) for n, s in schedules.items()} == {
        "scv_daily_schedule": ("0 2 * * *", "RUNNING"),
        "scv_monitoring_schedule": ("0 */6 * * *", "RUNNING"),
    }
    sensors = {
        s["name"]: (s["sensorType"], s["sensorState"]["status"]) for s in repository["sensors"]
    }
    assert sensors == {
        "scv_landing_zone_sensor": ("STANDARD", "RUNNING"),
        "scv_run_failure_alerts": ("RUN_STATUS", "RUNNING"),
        "scv_check_failure_alerts": ("STANDARD", "RUNNING"),
        "scv_automation": ("AUTO_MATERIALIZE", "RUNNING"),
    }
    nodes = [n for n in server.graphql(ASSETS)["assetNodes"] if n["isMaterializable"]]
    assert {"/".join(n["assetKey"]["path"]) for n in nodes} == expected_assets
    checks = {
        ("/".join(n["assetKey"]["path"]), c["name"])
        for n in nodes
        for c in n["assetChecksOrError"].get("checks", [])
    }
    assert checks == expected_checks
    fresh = {"/".join(n["assetKey"]["path"]) for n in nodes if n["internalFreshnessPolicy"]}
    assert fresh == {a for a in expected_assets if a.startswith("gold/")}

    # a backfill as the UI launches it: the day assets over three days
    params = {"partitionNames": DAYS, "assetSelection": [{"path": p} for p in DAILY]}
    launched = server.graphql(LAUNCH_BACKFILL, params=params)["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", launched
    backfill_id = launched["backfillId"]

    def completed() -> dict | None:
        backfill = server.graphql(BACKFILL, id=backfill_id)["partitionBackfillOrError"]
        return backfill if backfill["status"].startswith("COMPLETED") else None

    backfill = wait_for(completed, BACKFILL_TIMEOUT, "the backfill to complete", interval=3)
    assert backfill["status"] == "COMPLETED_SUCCESS"
    [run] = backfill["runs"]
    assert run["status"] == "SUCCESS"
    tags = {t["key"]: t["value"] for t in run["tags"]}
    assert (
        tags["dagster/asset_partition_range_start"],
        tags["dagster/asset_partition_range_end"],
    ) == (
        DAYS[0],
        DAYS[-1],
    )
    for path in DAILY:
        node = server.graphql(MATERIALIZED, path=path)["assetNodeOrError"]
        partitions = {m["partition"] for m in node["assetMaterializations"]}
        assert partitions == set(DAYS), (path, partitions)
