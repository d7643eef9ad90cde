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


FAKE_SCV = """#!{python}
import os, sys
from pathlib import Path
warehouse = Path(os.environ["SCV_WAREHOUSE_PATH"])
landing = Path(os.environ["SCV_LANDING_DIR"])
seen = warehouse.read_text()
delivered = sorted(p.name for p in landing.rglob("*.csv"))
with open({log!r}, "a") as log:
    log.write(f"{{' '.join(sys.argv[1:])}} | {{seen}} | {{','.join(delivered)}}\\n")
warehouse.write_text(seen + " + a day")
"""


def test_the_day_runs_with_and_without_checks_alternately_from_the_saved_state(tmp_path):
    import sys

    from scv_platform.bench import ONE_MORE_DAY, ONE_MORE_DAY_NO_CHECKS, _one_more_day_stages

    env = _environment(tmp_path) | {"SCV_LANDING_DIR": str(tmp_path / "landing")}
    Path(env["SCV_WAREHOUSE_PATH"]).write_text("history")
    held = tmp_path / "next_day"
    (held / "orders").mkdir(parents=True)
    (held / "orders" / "orders_2026-07-01.csv").write_text("order_id\n1\n")
    log = tmp_path / "calls.log"
    scv = tmp_path / "scv"
    scv.write_text(FAKE_SCV.format(python=sys.executable, log=str(log)))
    scv.chmod(0o755)

    results = _one_more_day_stages(str(scv), env, "2026-07-01", held, runs=2)

    assert [r.stage for r in results] == [ONE_MORE_DAY, ONE_MORE_DAY_NO_CHECKS]
    assert [len(r.wall_seconds_each) for r in results] == [2, 2]
    calls = log.read_text().splitlines()
    day = "run --from 2026-07-01 --to 2026-07-01"
    # every run found the warehouse as the history left it, the day's file landed
    assert calls == [f"{day} --checks none | history | orders_2026-07-01.csv",
                     f"{day} | history | orders_2026-07-01.csv"] * 2  # fmt: skip
    # the normal day ran last: the warehouse is as a daily run leaves it
    assert Path(env["SCV_WAREHOUSE_PATH"]).read_text() == "history + a day"
    assert not held.exists() and not (tmp_path / "before_next_day").exists()


def test_the_checks_share_compares_the_day_without_checks_to_the_day():
    from scv_platform.bench import (
        FULL_BUILD,
        ONE_MORE_DAY,
        ONE_MORE_DAY_NO_CHECKS,
        _derived_figures,
    )

    derived = _derived_figures(
        {FULL_BUILD: 200.0, ONE_MORE_DAY: 40.0, ONE_MORE_DAY_NO_CHECKS: 30.0}
    )
    assert derived == {"one more day / full build": 0.2, "checks' share of one more day": 0.25}
