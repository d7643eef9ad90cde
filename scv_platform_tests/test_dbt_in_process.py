"""dbt inside the step's process: one parse without vars serves every day partition, the
run's window still reaches the tests, failures keep dbt's exit codes, and the DuckDB file is
free for the platform's own connections once dbt has finished."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from scv_platform.transform.in_process import DbtThread, profile_options, subcommand
from scv_platform_tests.test_dbt_staging import DBT_PROJECT

DEFAULT_WINDOW = ("1900-01-01", "2999-12-31")  # dbt_project.yml's min_date and max_date
DAY = {"min_date": "2026-07-01", "max_date": "2026-07-02"}
WINDOWED_TEST = "not_null_fct_transactions_amount"


def test_no_node_config_of_the_parsed_project_holds_the_partition_window():
    """A config rendered from the window vars at parse time would keep the window of the
    parse: the placeholders __min_date__ / __max_date__ are filled in when a test runs."""
    manifest = json.loads((DBT_PROJECT / "target" / "manifest.json").read_text())
    configs = {uid: json.dumps(node["config"]) for uid, node in manifest["nodes"].items()}
    rendered = [uid for uid, text in configs.items() if any(d in text for d in DEFAULT_WINDOW)]
    assert rendered == []
    windowed = [uid for uid, text in configs.items() if "__min_date__" in text]
    assert len(windowed) > 30


def test_profile_options_are_those_choosing_profile_and_target():
    command = ["build", "--vars", "{}", "--target", "prod", "--select", "x", "--profile=p"]
    assert profile_options(command) == ["--target", "prod", "--profile=p"]
    assert profile_options(["parse", "--quiet"]) == []


def test_subcommand_is_the_first_argument_that_is_not_an_option():
    assert subcommand(["--quiet", "build", "--select", "x"]) == "build"
    assert subcommand(["--no-write-json"]) is None


def run_in_process(tmp_path: Path, *command: str) -> tuple[int | None, list[dict]]:
    target = tmp_path / "target"
    flags = {"project_dir": str(DBT_PROJECT), "profiles_dir": str(DBT_PROJECT),
             "target_path": str(target), "log_path": str(target)}  # fmt: skip
    process = DbtThread(["dbt", *command, "--target", "local"], flags)
    events = [json.loads(line) for line in process.stdout]
    return process.wait(), events


@pytest.fixture
def warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("SCV_WAREHOUSE_PATH", str(path))
    return path


def test_a_day_window_reaches_the_tests_and_the_warehouse_is_released(tmp_path, warehouse):
    code, events = run_in_process(tmp_path, "seed", "--select", "us_states")
    assert code == 0
    assert any(e["info"]["name"] == "LogSeedResult" for e in events)
    # dbt has let go of the file: a connection with other settings opens it
    with duckdb.connect(str(warehouse), config={"threads": 1}) as con:
        assert con.execute("select count(*) from silver.us_states").fetchone()[0] > 50

    code, _ = run_in_process(tmp_path, "compile", "--select", WINDOWED_TEST,
                             "--vars", json.dumps(DAY))  # fmt: skip
    assert code == 0
    compiled = next((tmp_path / "target" / "compiled").rglob(f"{WINDOWED_TEST}.sql"))
    sql = compiled.read_text()
    assert "partition_date >= cast('2026-07-01' as date)" in sql
    assert "partition_date < cast('2026-07-02' as date)" in sql


def test_a_bad_window_fails_the_invocation_with_dbts_error(tmp_path, warehouse):
    bad = json.dumps({"min_date": "2026-07-01' or 1=1 --", "max_date": "2026-07-02"})
    code, events = run_in_process(tmp_path, "build", "--select", WINDOWED_TEST, "--vars", bad)
    assert code == 1  # the test failed to compile: a failed node, as from a dbt process
    errors = " ".join(e["info"]["msg"] for e in events if e["info"]["level"] == "error")
    assert "var min_date must be a date YYYY-MM-DD" in errors


def test_dbt_failing_itself_exits_2_with_the_reason(tmp_path, warehouse):
    code, events = run_in_process(tmp_path, "build", "--no-such-option")
    assert code == 2
    errors = [e["info"]["msg"] for e in events if e["info"]["level"] == "error"]
    assert len(errors) == 1
    assert "no-such-option" in errors[0]


def test_a_build_writes_its_run_results_but_not_the_parses_manifest(tmp_path, warehouse):
    code, _ = run_in_process(tmp_path, "build", "--select", "us_states",
                             "--indirect-selection", "cautious")  # fmt: skip
    assert code == 0
    target = tmp_path / "target"
    results = json.loads((target / "run_results.json").read_text())
    statuses = {r["unique_id"]: r["status"] for r in results["results"]}
    assert statuses["seed.scv_dbt.us_states"] == "success"
    assert statuses["test.scv_dbt.unique_us_states_name.500c8b84e0"] == "pass"
    assert not (target / "manifest.json").exists()
