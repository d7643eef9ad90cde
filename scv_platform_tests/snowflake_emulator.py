"""A Snowflake emulator (fakesnow) on loopback for tests: started and stopped by its PID.

Every call against it is bounded: the server must answer within ``START_TIMEOUT`` seconds,
connections use short login and network timeouts, and subprocesses (dbt) get a timeout.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

START_TIMEOUT = 30
STOP_TIMEOUT = 10
LOGIN_TIMEOUT = 10
NETWORK_TIMEOUT = 60
HOST = "127.0.0.1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@dataclass
class SnowflakeEmulator:
    port: int
    process: subprocess.Popen
    log_path: Path
    password: str  # any value works; a random one lets tests check it never leaks

    @property
    def pid(self) -> int:
        return self.process.pid

    def env(self, database: str) -> dict[str, str]:
        """The production variables of contracts.md, pointed at this emulator."""
        return {
            "SNOWFLAKE_ACCOUNT": "scv_emulator",
            "SNOWFLAKE_USER": "scv_tests",
            "SNOWFLAKE_PASSWORD": self.password,
            "SNOWFLAKE_ROLE": "SCV_TRANSFORMER",
            "SNOWFLAKE_WAREHOUSE": "SCV_WH",
            "SNOWFLAKE_DATABASE": database,
            "SNOWFLAKE_HOST": HOST,
            "SNOWFLAKE_PORT": str(self.port),
            "SNOWFLAKE_PROTOCOL": "http",
            "SCV_SNOWFLAKE_LOGIN_TIMEOUT": str(LOGIN_TIMEOUT),
            "SCV_SNOWFLAKE_NETWORK_TIMEOUT": str(NETWORK_TIMEOUT),
        }

    def connect(self, database: str) -> Any:
        import snowflake.connector

        return snowflake.connector.connect(
            account="scv_emulator",
            user="scv_tests",
            password=self.password,
            database=database,
            host=HOST,
            port=self.port,
            protocol="http",
            login_timeout=LOGIN_TIMEOUT,
            network_timeout=NETWORK_TIMEOUT,
        )

    def query(self, database: str, sql: str) -> list[tuple]:
        connection = self.connect(database)
        try:
            return connection.cursor().execute(sql).fetchall()
        finally:
            connection.close()


def new_database_name() -> str:
    """A database of its own per test: the emulator's databases live as long as it does."""
    return f"SCV_TEST_{uuid.uuid4().hex[:10].upper()}"


def start_emulator(data_dir: Path) -> SnowflakeEmulator:
    """``fakesnow -s -p PORT -d DATA_DIR`` on 127.0.0.1, waited for until it accepts."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    log_path = data_dir / "fakesnow.log"
    executable = Path(sys.executable).parent / "fakesnow"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(executable), "-s", "-p", str(port), "-d", str(data_dir)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    emulator = SnowflakeEmulator(port, process, log_path, secrets.token_urlsafe(16))
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"fakesnow exited early: {log_path.read_text()[-2000:]}")
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return emulator
        except OSError:
            time.sleep(0.2)
    stop_emulator(emulator)
    raise RuntimeError(f"fakesnow did not listen on {HOST}:{port} within {START_TIMEOUT} s")


def stop_emulator(emulator: SnowflakeEmulator) -> None:
    """SIGINT (fakesnow's own stop signal) to its PID, then SIGKILL if it does not exit."""
    if emulator.process.poll() is not None:
        return
    os.kill(emulator.pid, signal.SIGINT)
    try:
        emulator.process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.kill(emulator.pid, signal.SIGKILL)
        emulator.process.wait(timeout=STOP_TIMEOUT)


SMALL_LANDING = {"customers": 30, "days": 3, "end": "2025-03-03", "seed": 7}


def simulate_small_landing(root: Path) -> Path:
    """A tiny simulated landing zone (30 customers, 3 days): every source, a few rows each."""
    from datetime import date

    from scv_platform.settings import SimulationSettings
    from scv_platform.simulate import simulate

    settings = SimulationSettings(
        customers=SMALL_LANDING["customers"],
        days=SMALL_LANDING["days"],
        end=date.fromisoformat(SMALL_LANDING["end"]),
        seed=SMALL_LANDING["seed"],
    )
    landing = root / "landing"
    simulate(settings, landing, root / "truth")
    return landing


def load_bronze(landing: Path) -> dict[str, int]:
    """Every source of ``landing`` into bronze through the production resource (the
    ``SNOWFLAKE_*`` variables of the environment); rows loaded per source."""
    import dagster as dg

    from scv_platform.resources.snowflake import snowflake_resource
    from scv_platform.settings import load_settings
    from scv_platform.sources.landing import list_landing_files
    from scv_platform.sources.specs import SOURCES
    from scv_platform.warehouse.gateway import open_gateway

    loaded = {}
    with (
        dg.build_resources({"warehouse": snowflake_resource(load_settings())}) as resources,
        open_gateway(resources.warehouse) as gateway,
    ):
        gateway.ensure_bronze_tables()
        for spec in SOURCES:
            files = list_landing_files(spec, landing).files
            results = gateway.load_files(spec, files, "tests", False)
            loaded[spec.table] = sum(r.rows_loaded for r in results)
    return loaded
