"""The benchmark's repeated one-more-day runs: each starts from the same warehouse and
Dagster instance, and the median of their wall times is reported."""

from __future__ import annotations

from pathlib import Path

import duckdb

from scv_platform.bench import StageResult, median_result, restore_state, save_state


def _environment(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return {"SCV_WAREHOUSE_PATH": str(tmp_path / "warehouse.duckdb"), "DAGSTER_HOME": str(home)}


def test_a_restored_state_is_the_warehouse_and_instance_as_saved(tmp_path):
    env = _environment(tmp_path)
    with duckdb.connect(env["SCV_WAREHOUSE_PATH"]) as con:
        con.execute("CREATE TABLE facts AS SELECT range AS day FROM range(3)")
    save_state(env, tmp_path / "snapshot")

    # a run changes both: rows added, a run's files written into the instance
    with duckdb.connect(env["SCV_WAREHOUSE_PATH"]) as con:
        con.execute("INSERT INTO facts VALUES (3)")
    (Path(env["DAGSTER_HOME"]) / "runs.db").write_text("a run")

    restore_state(tmp_path / "snapshot", env)
    with duckdb.connect(env["SCV_WAREHOUSE_PATH"], read_only=True) as con:
        assert con.execute("SELECT count(*) FROM facts").fetchone() == (3,)
    assert sorted(p.name for p in Path(env["DAGSTER_HOME"]).iterdir()) == ["dagster.yaml"]
    # the snapshot serves the next run too
    assert (tmp_path / "snapshot" / "warehouse.duckdb").is_file()


def _run(wall: float, peak: float, exit_code: int = 0) -> StageResult:
    return StageResult("one more day (scv run)", "scv run", wall, peak, exit_code, "< 10 %")


def test_repeated_runs_report_the_median_wall_and_the_highest_peak():
    result = median_result([_run(33.0, 1700.0), _run(31.2, 1800.0), _run(36.4, 1750.0)])
    assert result.wall_seconds == 33.0
    assert result.peak_rss_mib == 1800.0
    assert result.wall_seconds_each == [33.0, 31.2, 36.4]
    assert result.exit_code == 0


def test_a_failed_run_fails_the_stage():
    assert median_result([_run(33.0, 1700.0), _run(2.0, 300.0, exit_code=1)]).exit_code == 1
