"""The ``scv`` command: ``scv simulate`` writes a landing zone, ``scv run`` builds everything."""

from __future__ import annotations

import argparse
import atexit
import contextlib
import os
import shutil
import sys
import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from scv_platform.settings import (
    PROJECT_ROOT,
    Settings,
    SettingsError,
    load_settings,
    load_simulation_settings,
)

if TYPE_CHECKING:  # dagster loads with the command that needs it, not with ``scv --help``
    import dagster as dg

UI_URL = "http://127.0.0.1:3000"


def _simulate(args: argparse.Namespace) -> int:
    from scv_platform.simulate import simulate

    settings = load_simulation_settings().with_overrides(
        customers=args.customers, days=args.days, end=args.end, seed=args.seed
    )
    out_dir = Path(args.out).resolve()
    truth_dir = Path(args.truth_dir).resolve() if args.truth_dir else None
    report = simulate(settings, out_dir, truth_dir)
    print(f"Simulated landing zone: {out_dir}")
    for line in report.summary_lines():
        print(f"  {line}")
    return 0


PROD_INSTANCE_CONFIG = PROJECT_ROOT / "deploy" / "prod" / "dagster.yaml"
RUN_LOG_LEVEL = "INFO"  # of the run log file scv run writes (the console shows the summary)
CHECKS_HEADER = {
    "dbt": "Checks: the dbt tests only (no Python checks)",
    "none": "Checks: none (assets only; nothing is checked, so nothing blocks)",
}


def instance_config(settings: Settings) -> Path:
    """The dagster.yaml a new instance gets: PostgreSQL in production when ``DAGSTER_PG_HOST``
    is set, else the local SQLite one."""
    if not settings.is_local and settings.postgres.host:
        return PROD_INSTANCE_CONFIG
    return PROJECT_ROOT / "dagster.yaml"


def prepare_dagster_home(settings: Settings) -> Path:
    """Create the instance folder with its dagster.yaml (see :func:`instance_config`)."""
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        shutil.copyfile(instance_config(settings), config)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def daily_selection(
    defs: dg.Definitions, settings: Settings
) -> tuple[dg.AssetSelection, list[dg.AssetKey]]:
    """What ``scv run --from/--to`` builds, and the roots it keeps as they are."""
    import dagster as dg

    from scv_platform.runner.execute import definitions_gateway
    from scv_platform.runner.selection import daily_run_selection

    with dg.DagsterInstance.get() as instance, definitions_gateway(defs) as gateway:
        chosen = daily_run_selection(defs, instance, gateway, settings.landing_dir)
    return chosen.selection, list(chosen.unchanged_roots)


def _run(args: argparse.Namespace) -> int:
    import dagster as dg
    import duckdb

    from scv_platform.definitions import build_definitions
    from scv_platform.partitions import daily_partitions
    from scv_platform.runner.execute import (
        QUARANTINED_IN_RUN_SQL,
        checks_to_run,
        execute,
        quarantined_in_warehouse,
    )
    from scv_platform.runner.plan import plan_run, restrict
    from scv_platform.runner.summary import render
    from scv_platform.sources.specs import SOURCES
    from scv_platform.warehouse.duckdb_connection import connection

    settings = load_settings()
    home = prepare_dagster_home(settings)
    # A day range plans one event per asset instead of one per day (on a full build,
    # thousands of event-log writes before the first step). Dagster's documented trade-off:
    # days of a failed run show as missing rather than failed; scv run names the failure.
    os.environ.setdefault("DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS", "true")
    defs = build_definitions(settings)
    plan = restrict(
        plan_run(settings, daily_partitions(settings.history_start)), args.start, args.end
    )

    def quarantined(run_id: str) -> int:
        if not settings.is_local:
            return quarantined_in_warehouse(defs, run_id)
        if not settings.warehouse_path.is_file():
            return 0
        try:
            with connection(settings.warehouse_path, read_only=True) as con:
                return con.execute(QUARANTINED_IN_RUN_SQL, {"run_id": run_id}).fetchone()[0]
        except duckdb.Error:  # no quarantine table yet: nothing was quarantined
            return 0

    header = [f"SCV run ({settings.env}) over landing zone {settings.landing_dir}"]
    absent = [s.folder for s in SOURCES if not (settings.landing_dir / s.folder).is_dir()]
    if absent:
        header.append(f"Absent source folders (nothing loaded from them): {', '.join(absent)}")
    if plan.partition_range:
        header.append(
            f"Day partitions: {plan.first_day} .. {plan.last_day} ({plan.days} days), "
            "each daily stage in one run"
        )
    if plan.note:
        header.append(f"Note: {plan.note}")
    selection = dg.AssetSelection.from_string(args.select) if args.select else None
    if selection is not None:
        header.append(f"Selection: {args.select}")
    elif args.start or args.end:
        selection, kept = daily_selection(defs, settings)
        if kept:
            header.append(
                "Daily run: the day partitions and what depends on them; unchanged since "
                f"their last build, so kept: {', '.join(k.to_user_string() for k in kept)}"
            )
    only_checks = checks_to_run(defs, args.checks)
    if only_checks is not None:
        header.append(CHECKS_HEADER[args.checks])
    log_path = home / "logs" / f"scv-run-{time.strftime('%Y%m%dT%H%M%S')}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    print("\n".join(header), flush=True)
    print(f"Building... (step and dbt output: {log_path})", flush=True)
    with (
        log_path.open("w") as log,
        contextlib.redirect_stdout(log),
        contextlib.redirect_stderr(log),  # Dagster's console log: steps, dbt's output, warnings
        dg.DagsterInstance.get() as instance,
    ):
        summary = execute(
            defs, plan, instance, quarantined, selection, only_checks, log_level=RUN_LOG_LEVEL
        )
    print(render(summary, []))
    print()
    if settings.is_local:
        print(f"Warehouse (DuckDB): {settings.warehouse_path}")
    else:
        print(f"Warehouse (Snowflake): database {settings.snowflake.database}")
    print(f"Dagster instance:   {home} (runs {', '.join(r[:8] for r in summary.run_ids)})")
    print(f"UI:                 make ui  ->  {UI_URL}")
    return summary.exit_code


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from exc


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scv", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    simulate = commands.add_parser("simulate", help="write a simulated landing zone")
    simulate.add_argument("--out", required=True, help="landing zone folder to write")
    simulate.add_argument("--truth-dir", help="where the ground truth goes (default: beside --out)")
    simulate.add_argument("--customers", type=int, help="number of customers (default 2000)")
    simulate.add_argument("--days", type=int, help="days of history (default 548)")
    simulate.add_argument("--end", type=_date, help="last simulated day (default yesterday UTC)")
    simulate.add_argument("--seed", type=int, help="random seed (default 42)")
    simulate.set_defaults(handler=_simulate)
    run = commands.add_parser("run", help="build every asset over the landing zone")
    run.add_argument(
        "--select",
        help="only these assets, in Dagster selection syntax (e.g. 'group:bronze')",
    )
    run.add_argument(
        "--from",
        dest="start",
        type=_date,
        help="first day partition to build (default: SCV_HISTORY_START); a backfill of a range",
    )
    run.add_argument(
        "--to",
        dest="end",
        type=_date,
        help="last day partition to build (default: the last day with data)",
    )
    run.add_argument(
        "--checks",
        choices=["all", "dbt", "none"],
        default="all",
        help="which asset checks run with the assets: all (default), dbt (the dbt tests only, "
        "as make bench times Dagster against a bare dbt build) or none (like dbt run: "
        "nothing is checked, so nothing blocks; make bench times a day so to show the "
        "checks' share)",
    )
    run.set_defaults(handler=_run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except SettingsError as exc:
        print(f"scv: configuration error: {exc}", file=sys.stderr)
        return 2


def entry() -> None:
    """The ``scv`` command: :func:`main`, then the process ends without tearing the
    interpreter down. Everything is written and closed by then (the warehouse, the Dagster
    instance, the run log); freeing the millions of objects dbt and Dagster loaded took
    about 2 s after a daily run had printed its summary (mypy ends the same way). What
    a normal exit runs first still runs: the ``atexit`` functions (multiprocessing releases
    the semaphores dbt created, logging flushes its handlers)."""
    code = main()
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    entry()
