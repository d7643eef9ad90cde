"""``make bench``: time and measure peak memory of each stage at a large simulated scale.

Every stage runs as its own process under ``/usr/bin/time -v`` (falling back to
``getrusage``), so wall time and peak RSS belong to that stage alone. Results are printed
and written to ``<bench dir>/results.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path

from scv_platform.settings import PROJECT_ROOT

GIB = 1024**3


@dataclass
class StageResult:
    stage: str
    command: str
    wall_seconds: float
    peak_rss_mib: float
    exit_code: int
    target: str
    wall_seconds_each: list[float] = field(default_factory=list)
    """Every run's wall time when the stage ran several times (its wall_seconds is their
    median, its peak the highest)."""


def _measure(stage: str, command: list[str], env: dict[str, str], target: str) -> StageResult:
    time_binary = shutil.which("time") or "/usr/bin/time"
    use_time = Path(time_binary).is_file()
    full = [time_binary, "-v", *command] if use_time else command
    started = time.perf_counter()
    completed = subprocess.run(full, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if use_time:
        match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", completed.stderr)
        peak_kib = int(match.group(1)) if match else 0
    else:
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    sys.stdout.write(completed.stdout)
    if completed.returncode:
        sys.stderr.write(completed.stderr[-4000:])
    return StageResult(
        stage, " ".join(command), round(wall, 1), round(peak_kib / 1024, 1),
        completed.returncode, target,
    )  # fmt: skip


FULL_BUILD = "full build (scv run)"
ONE_MORE_DAY = "one more day (scv run)"
ONE_MORE_DAY_NO_CHECKS = "one more day, no checks"
DAY_VARIANTS = (  # stage, extra scv run options, target
    (ONE_MORE_DAY, [], "< 10 % of the full build"),
    (ONE_MORE_DAY_NO_CHECKS, ["--checks", "none"], "(how much of the day the checks are)"),
)


def _derived_figures(by_stage: dict[str, float]) -> dict[str, float]:
    """Dagster's overhead on dbt, and one day's cost against the full build."""
    derived: dict[str, float] = {}
    if by_stage.get("bare dbt build") and "dbt models via Dagster" in by_stage:
        derived["dbt via Dagster / bare dbt"] = round(
            by_stage["dbt models via Dagster"] / by_stage["bare dbt build"], 2
        )
    full, day = by_stage.get(FULL_BUILD), by_stage.get(ONE_MORE_DAY)
    if full and day:
        derived["one more day / full build"] = round(day / full, 3)
    if day and ONE_MORE_DAY_NO_CHECKS in by_stage:
        derived["checks' share of one more day"] = round(
            1 - by_stage[ONE_MORE_DAY_NO_CHECKS] / day, 2
        )
    return derived


def _state_files(env: dict[str, str]) -> list[Path]:
    """What a run changes: the DuckDB file (and its WAL) and the Dagster instance."""
    warehouse = Path(env["SCV_WAREHOUSE_PATH"])
    wal = warehouse.with_name(warehouse.name + ".wal")
    return [warehouse, wal, Path(env["DAGSTER_HOME"])]


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _copy(source: Path, destination: Path) -> None:
    if source.is_dir():
        shutil.copytree(source, destination)
    else:
        shutil.copy2(source, destination)


def _empty_warehouse(env: dict[str, str]) -> None:
    """Drop the warehouse and the Dagster instance's history: the next run starts afresh."""
    for path in _state_files(env):
        _remove(path)
    Path(env["DAGSTER_HOME"]).mkdir()


def _identity_figures(bench_dir: Path) -> dict | None:
    """Pairwise precision / recall of the crosswalk against the simulator's truth."""
    import duckdb
    import pandas as pd

    from scv_platform.identity.evaluation import evaluate_crosswalk

    truth = bench_dir / "truth" / "identity_map.parquet"
    if not truth.exists():
        return None
    with duckdb.connect(str(bench_dir / "warehouse.duckdb"), read_only=True) as con:
        crosswalk = con.execute("SELECT * FROM gold.customer_crosswalk").df()
    return evaluate_crosswalk(crosswalk, pd.read_parquet(truth))


def _dbt_overhead_stages(scv: str, env: dict[str, str]) -> list[StageResult]:
    """Every dbt model and test through Dagster, then the same as a bare ``dbt build``."""
    dbt = str(Path(sys.executable).parent / "dbt")
    project = str(PROJECT_ROOT / "scv_dbt")
    through_dagster = _measure(
        "dbt models via Dagster",
        [scv, "run", "--select", "kind:dbt", "--checks", "dbt"],  # the Python checks: no dbt
        env,
        "<= 1.5 x bare dbt",
    )
    bare = _measure(
        "bare dbt build",
        [dbt, "build", "--exclude-resource-type", "unit_test", "--quiet",
         "--project-dir", project, "--profiles-dir", project,
         "--target", "local", "--target-path", str(Path(env["DAGSTER_HOME"]) / "dbt_target")],
        env,
        "the lower bound",
    )  # fmt: skip
    return [through_dagster, bare]


def _hold_back(landing: Path, day: str, held: Path) -> None:
    """Move the daily files of ``day`` out of the landing zone (they arrive later)."""
    for daily in sorted(landing.rglob(f"*{day}*")):
        target = held / daily.relative_to(landing)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(daily, target)


def _deliver(held: Path, landing: Path) -> None:
    """The held-back files land."""
    for daily in sorted(p for p in held.rglob("*") if p.is_file()):
        target = landing / daily.relative_to(held)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(daily, target)
    shutil.rmtree(held)


def save_state(env: dict[str, str], snapshot: Path) -> None:
    """Copy the warehouse and the Dagster instance to ``snapshot`` (no run is going on)."""
    snapshot.mkdir(parents=True)
    for path in _state_files(env):
        if path.exists():
            _copy(path, snapshot / path.name)
    os.sync()  # the copy's gigabytes are on disk before a timed run starts, not written during


def restore_state(snapshot: Path, env: dict[str, str]) -> None:
    """Put the warehouse and the Dagster instance back as :func:`save_state` found them."""
    for path in _state_files(env):
        _remove(path)
        if (snapshot / path.name).exists():
            _copy(snapshot / path.name, path)
    os.sync()


def median_result(runs: list[StageResult]) -> StageResult:
    """One result for repeated runs of a stage: the median wall time, the highest peak, the
    first failing exit code."""
    walls = [r.wall_seconds for r in runs]
    return replace(
        runs[0],
        wall_seconds=round(statistics.median(walls), 1),
        peak_rss_mib=max(r.peak_rss_mib for r in runs),
        exit_code=next((r.exit_code for r in runs if r.exit_code), 0),
        wall_seconds_each=walls,
    )


def _one_more_day_stages(
    scv: str, env: dict[str, str], next_day: str, held: Path, runs: int
) -> list[StageResult]:
    """The held-back day's files land; ``scv run`` builds that one day partition, with its
    checks and without, ``runs`` times each, alternately, from the same warehouse and
    instance (machine speed varies between runs). The normal day runs last: the warehouse
    is left as a daily run leaves it."""
    snapshot = held.with_name("before_next_day")
    save_state(env, snapshot)
    _deliver(held, Path(env["SCV_LANDING_DIR"]))
    results: dict[str, list[StageResult]] = {stage: [] for stage, _, _ in DAY_VARIANTS}
    order = [variant for _ in range(runs) for variant in reversed(DAY_VARIANTS)]
    for index, (stage, options, target) in enumerate(order):
        if index:
            restore_state(snapshot, env)
        command = [scv, "run", "--from", next_day, "--to", next_day, *options]
        results[stage].append(_measure(stage, command, env, target))
        if results[stage][-1].exit_code:
            break
    shutil.rmtree(snapshot, ignore_errors=True)
    return [median_result(results[stage]) for stage, _, _ in DAY_VARIANTS if results[stage]]


def _quality_figures(bench_dir: Path, until: date) -> list[dict] | None:
    """Recall and precision of the row-level checks per injected anomaly kind."""
    from scv_platform.quality.evaluation import evaluate_warehouse

    truth = bench_dir / "truth" / "anomalies.parquet"
    if not truth.exists():
        return None
    return [asdict(s) | {"recall": s.recall, "precision": s.precision}
            for s in evaluate_warehouse(bench_dir / "warehouse.duckdb", truth, until)]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scv-bench", description=__doc__)
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--days", type=int, default=548)
    parser.add_argument(
        "--end", default="2026-06-30", help="last simulated day (fixed: repeatable)"
    )
    parser.add_argument("--dir", default=str(PROJECT_ROOT / "data" / "bench"))
    parser.add_argument(
        "--day-runs",
        type=int,
        default=3,
        help="runs of the one more day, with checks and without each (medians reported)",
    )
    args = parser.parse_args(argv)
    if args.day_runs < 1:
        parser.error("--day-runs must be at least 1")

    bench_dir = Path(args.dir).resolve()
    shutil.rmtree(bench_dir, ignore_errors=True)
    (bench_dir / "dagster_home").mkdir(parents=True)
    scv = str(Path(sys.executable).parent / "scv")
    env = {
        **os.environ,
        "SCV_LANDING_DIR": str(bench_dir / "landing"),
        "SCV_WAREHOUSE_PATH": str(bench_dir / "warehouse.duckdb"),
        "DAGSTER_HOME": str(bench_dir / "dagster_home"),
    }
    env.pop("SCV_HISTORY_START", None)
    # one simulation of the history plus the next day, whose daily files are held back
    next_day = (date.fromisoformat(args.end) + timedelta(days=1)).isoformat()
    held = bench_dir / "next_day"
    results = [
        _measure(
            "simulate",
            [scv, "simulate", "--out", env["SCV_LANDING_DIR"], "--customers",
             str(args.customers), "--days", str(args.days + 1), "--end", next_day],
            env,
            "< 60 s, < 4 GiB",
        ),
    ]  # fmt: skip
    if results[-1].exit_code == 0:
        _hold_back(Path(env["SCV_LANDING_DIR"]), next_day, held)
        results.append(
            _measure(
                "bronze load (all files)",
                [scv, "run", "--select", "group:bronze"],
                env,
                "< 60 s, < 4 GiB",
            )
        )
    if results[-1].exit_code == 0:  # the whole build from the landing files, as make run
        _empty_warehouse(env)
        results.append(_measure(FULL_BUILD, [scv, "run"], env, "< 5 min, < 8 GiB"))
    built = results[-1].exit_code == 0
    identity = _identity_figures(bench_dir) if built else None
    quality = _quality_figures(bench_dir, date.fromisoformat(args.end)) if built else None
    # the next day lands on the warehouse the full build left, as the next daily run finds it
    # (a bare dbt build in between would have rebuilt every incremental row first)
    if results[-1].exit_code == 0:
        results += _one_more_day_stages(scv, env, next_day, held, args.day_runs)
    if all(r.exit_code == 0 for r in results):
        results += _dbt_overhead_stages(scv, env)
    print(f"\nBenchmark at {args.customers:,} customers, {args.days} days (end {args.end})")
    print(f"{'stage':<28}{'wall s':>10}{'peak MiB':>12}  target")
    for r in results:
        print(f"{r.stage:<28}{r.wall_seconds:>10.1f}{r.peak_rss_mib:>12.1f}  {r.target}")
        if len(r.wall_seconds_each) > 1:
            each = ", ".join(f"{w:.1f}" for w in r.wall_seconds_each)
            print(f"{'':<28}(median of {len(r.wall_seconds_each)} runs: {each} s)")
    if identity:
        print(
            f"identity resolution vs truth: precision {identity['precision']:.4f}, "
            f"recall {identity['recall']:.4f}, F1 {identity['f1']:.4f} "
            "(targets: precision >= 0.98, recall >= 0.95)"
        )
    for kind in quality or []:
        print(
            f"anomaly {kind['kind']} ({kind['check']}): recall {kind['recall']:.3f}, "
            f"precision {kind['precision']:.3f} (targets: 0.95, 0.90)"
        )
    by_stage = {r.stage: r.wall_seconds for r in results}
    derived = _derived_figures(by_stage)
    for name, value in derived.items():
        print(f"{name}: {value}")
    report = {
        "customers": args.customers,
        "days": args.days,
        "end": args.end,
        "stages": [asdict(r) for r in results],
        "identity_evaluation": identity,
        "quality_evaluation": quality,
        "derived": derived,
    }

    (bench_dir / "results.json").write_text(json.dumps(report, indent=2))
    print(f"Results: {bench_dir / 'results.json'}")
    return max(r.exit_code for r in results)


if __name__ == "__main__":
    sys.exit(main())
