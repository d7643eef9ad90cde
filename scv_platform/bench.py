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
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
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


def _derived_figures(by_stage: dict[str, float]) -> dict[str, float]:
    """Dagster's overhead on dbt, and one day's cost against the full build."""
    derived: dict[str, float] = {}
    if by_stage.get("bare dbt build") and "dbt models via Dagster" in by_stage:
        derived["dbt via Dagster / bare dbt"] = round(
            by_stage["dbt models via Dagster"] / by_stage["bare dbt build"], 2
        )
    full = by_stage.get(FULL_BUILD)
    if full and "one more day (scv run)" in by_stage:
        derived["one more day / full build"] = round(by_stage["one more day (scv run)"] / full, 3)
    return derived


def _empty_warehouse(env: dict[str, str]) -> None:
    """Drop the warehouse and the Dagster instance's history: the next run starts afresh."""
    warehouse = Path(env["SCV_WAREHOUSE_PATH"])
    for path in (warehouse, warehouse.with_name(warehouse.name + ".wal")):
        path.unlink(missing_ok=True)
    home = Path(env["DAGSTER_HOME"])
    shutil.rmtree(home)
    home.mkdir()


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
        [scv, "run", "--select", "kind:dbt", "--dbt-tests-only"],  # the Python checks: no dbt
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


def _one_more_day_stage(scv: str, env: dict[str, str], next_day: str, held: Path) -> StageResult:
    """The held-back day's files land; ``scv run`` builds that one day partition."""
    _deliver(held, Path(env["SCV_LANDING_DIR"]))
    return _measure(
        "one more day (scv run)",
        [scv, "run", "--from", next_day, "--to", next_day],
        env,
        "< 10 % of the full build",
    )


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
    args = parser.parse_args(argv)

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
        results.append(_one_more_day_stage(scv, env, next_day, held))
    if results[-1].exit_code == 0:
        results += _dbt_overhead_stages(scv, env)
    print(f"\nBenchmark at {args.customers:,} customers, {args.days} days (end {args.end})")
    print(f"{'stage':<28}{'wall s':>10}{'peak MiB':>12}  target")
    for r in results:
        print(f"{r.stage:<28}{r.wall_seconds:>10.1f}{r.peak_rss_mib:>12.1f}  {r.target}")
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
