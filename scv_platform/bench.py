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
    results = [
        _measure(
            "simulate",
            [
                scv,
                "simulate",
                "--out",
                env["SCV_LANDING_DIR"],
                "--customers",
                str(args.customers),
                "--days",
                str(args.days),
                "--end",
                args.end,
            ],
            env,
            "< 60 s, < 4 GiB",
        ),
    ]
    if results[-1].exit_code == 0:
        results.append(
            _measure(
                "bronze load (all files)",
                [scv, "run", "--select", "group:bronze"],
                env,
                "< 60 s, < 4 GiB",
            )
        )
    if results[-1].exit_code == 0:
        results.append(
            _measure("rest of the build (scv run)", [scv, "run"], env, "full build < 5 min")
        )
    identity = _identity_figures(bench_dir) if results[-1].exit_code == 0 else None
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
    report = {
        "customers": args.customers,
        "days": args.days,
        "end": args.end,
        "stages": [asdict(r) for r in results],
        "identity_evaluation": identity,
    }

    (bench_dir / "results.json").write_text(json.dumps(report, indent=2))
    print(f"Results: {bench_dir / 'results.json'}")
    return max(r.exit_code for r in results)


if __name__ == "__main__":
    sys.exit(main())
