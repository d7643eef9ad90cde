"""Checks on the bronze sources: daily volume against the same weekdays, schema changes."""

from __future__ import annotations

import json
from datetime import date, timedelta

import dagster as dg
import duckdb
import pandas as pd

from scv_platform.quality.explain import markdown_table
from scv_platform.quality.outcome import DayOutcome, Outcome
from scv_platform.quality.severity import Thresholds, Verdict, judge
from scv_platform.quality.window import CheckWindow
from scv_platform.settings import QualitySettings
from scv_platform.sources.promotion import bronze_table
from scv_platform.sources.specs import SourceSpec, header_key
from scv_platform.warehouse.operational_tables import LOAD_MANIFEST

_RANK = {"PASS": 0, "WARN": 1, "ERROR": 2}
ERROR, WARN = dg.AssetCheckSeverity.ERROR, dg.AssetCheckSeverity.WARN


def worst(verdicts: list[Verdict]) -> Verdict:
    return max(verdicts, key=lambda v: _RANK[v.label], default=judge(0.0, Thresholds(0, 0)))


def daily_volumes(
    con: duckdb.DuckDBPyConnection, spec: SourceSpec, window: CheckWindow, weeks: int
) -> pd.DataFrame:
    """Rows per day of the window (0 when nothing landed) and the median of the same weekday
    over the ``weeks`` weeks before (days that landed nothing left out of that median)."""
    table = bronze_table(spec)
    first, last = window.start, window.end - timedelta(days=1)
    if window.is_all_history:
        bounds = con.execute(f"SELECT min(_file_date), max(_file_date) FROM {table}").fetchone()
        if bounds[0] is None:
            return pd.DataFrame(columns=["day", "row_count", "expected", "history_days"])
        first, last = bounds
    return con.execute(
        f"""
        WITH counts AS (
            SELECT _file_date AS day, count(*) AS n FROM {table}
            WHERE _file_date >= $ref_start AND _file_date <= $last GROUP BY 1
        ), days AS (
            SELECT CAST(d AS DATE) AS day
            FROM generate_series(CAST($first AS TIMESTAMP), CAST($last AS TIMESTAMP),
                                 INTERVAL 1 DAY) AS t(d)
        ), history AS (
            SELECT d.day, median(h.n) AS expected, count(h.n) AS history_days
            FROM days d JOIN counts h
              ON date_diff('day', h.day, d.day) BETWEEN 1 AND 7 * $weeks
             AND date_diff('day', h.day, d.day) % 7 = 0
            GROUP BY d.day
        )
        SELECT CAST(d.day AS VARCHAR) AS day, coalesce(c.n, 0) AS row_count, h.expected,
               coalesce(h.history_days, 0) AS history_days
        FROM days d LEFT JOIN counts c ON c.day = d.day LEFT JOIN history h ON h.day = d.day
        ORDER BY d.day
        """,
        {"first": first, "last": last, "ref_start": first - timedelta(days=7 * weeks),
         "weeks": weeks},
    ).df()  # fmt: skip


def volume(
    con: duckdb.DuckDBPyConnection, spec: SourceSpec, window: CheckWindow, settings: QualitySettings
) -> Outcome:
    """Each day's row count against the median of the same weekday of recent weeks."""
    thresholds = Thresholds(settings.volume_warn, settings.volume_error)
    days = daily_volumes(con, spec, window, settings.volume_weeks)
    judged = days[days["history_days"] >= settings.volume_min_history].copy()
    judged["deviation"] = (judged["row_count"] - judged["expected"]).abs() / judged[
        "expected"
    ].where(judged["expected"] > 0)
    outcomes = []
    for r in judged.itertuples():
        verdict = judge(float(r.deviation), thresholds)
        direction = "drop" if r.row_count < r.expected else "spike"
        text = (
            f"{spec.table} on {r.day}: {r.row_count:,} rows vs {r.expected:,.0f} expected "
            f"(median of the same weekday, {r.history_days} weeks): {direction} of "
            f"{r.deviation:.0%}. {verdict.label}."
        )
        outcomes.append(DayOutcome(r.day, verdict, int(not verdict.passed), text))
    flagged = [o for o in outcomes if not o.verdict.passed]
    verdict = worst([o.verdict for o in outcomes])
    not_judged = len(days) - len(judged)
    if not outcomes:
        description = (
            f"{spec.table}: {len(days)} days in {window.label}, none with "
            f"{settings.volume_min_history} earlier same weekdays to compare with yet."
        )
    else:
        description = (
            f"{len(flagged)} of {len(outcomes)} days of {spec.table} in {window.label} deviate "
            f"from the same weekday of the {settings.volume_weeks} weeks before "
            f"(warn above a change of {thresholds.warn:.0%}, error above {thresholds.error:.0%}). "
            f"{verdict.label}."
        )
        if flagged:
            description += (
                " Days: " + "; ".join(o.description for o in flagged[: settings.sample_size])
                + " What to do: a drop means a missing or truncated file, a spike a file "
                "delivered twice under different names or a backlog: compare with the sender's "
                "counts, re-deliver the day (same name replaces the load)."
            )  # fmt: skip
        if not_judged:
            description += f" {not_judged} days had too little history to judge."
    table = judged.assign(deviation=judged["deviation"].round(3)).tail(settings.sample_size * 3)
    return Outcome(
        verdict,
        description,
        len(flagged),
        {
            "days_checked": len(outcomes),
            "days_out_of_range": len(flagged),
            "days_without_history": not_judged,
            "last_days": markdown_table(table, ["day", "row_count", "expected", "deviation"]),
        },
        outcomes,
    )


def manifest_headers(
    con: duckdb.DuckDBPyConnection, spec: SourceSpec
) -> list[tuple[str, date | None, list[str]]]:
    """(file, file date, header keys) of the source's current files, in delivery order."""
    rows = con.execute(
        f"""
        SELECT source_file, file_date, header_columns FROM {LOAD_MANIFEST}
        WHERE source = $source AND is_current AND header_columns IS NOT NULL
        ORDER BY file_date NULLS FIRST, source_file
        """,
        {"source": spec.table},
    ).fetchall()
    return [(f, d, [header_key(c) for c in json.loads(h)]) for f, d, h in rows]


def _in_scope(spec: SourceSpec, window: CheckWindow, file_date: date | None) -> bool:
    """Reference files are all in scope; daily files when their day is in the window."""
    return not spec.daily or (file_date is not None and window.start <= file_date < window.end)


def schema_change(
    con: duckdb.DuckDBPyConnection, spec: SourceSpec, window: CheckWindow, settings: QualitySettings
) -> Outcome:
    """Files whose columns differ from the file delivered before them (the first file is the
    baseline): a contract column gone is an ERROR, any other change a WARN. Columns are
    compared as header keys (case, spaces and punctuation ignored, as the loader does)."""
    contract = {header_key(c.name) for c in spec.columns}
    files = manifest_headers(con, spec)
    changes = []
    previous: set[str] | None = None
    for source_file, file_date, header in files:
        current = set(header)
        if previous is not None and current != previous and _in_scope(spec, window, file_date):
            removed, added = sorted(previous - current), sorted(current - previous)
            lost = bool(set(removed) & contract)
            changes.append(
                {
                    "source_file": source_file,
                    "day": file_date.isoformat() if file_date else None,
                    "added": ", ".join(added),
                    "removed": ", ".join(removed),
                    "verdict": Verdict(False, ERROR if lost else WARN),
                }
            )
        previous = current
    checked = sum(1 for _, d, _ in files if _in_scope(spec, window, d))
    verdict = worst([c["verdict"] for c in changes])
    frame = pd.DataFrame(changes, columns=["source_file", "day", "added", "removed", "verdict"])
    if not changes:
        description = f"{spec.table}: the columns of all {checked} files in scope are unchanged."
    else:
        lines = "; ".join(
            f"{c['source_file']}: added [{c['added']}] removed [{c['removed']}]"
            for c in changes[: settings.sample_size]
        )
        description = (
            f"{len(changes)} of {checked} files of {spec.table} changed columns. "
            f"{verdict.label} (ERROR when a contract column disappears, else WARN). {lines}. "
            "What to do: a removed contract column empties that field from this file on (ask "
            "the sender to restore it or agree a contract change); added columns are kept in "
            "bronze _extra_columns and ignored downstream until the contract names them."
        )
    days = [
        DayOutcome(c["day"], c["verdict"], 1, f"{c['source_file']}: added [{c['added']}] "
                   f"removed [{c['removed']}]")
        for c in changes
        if c["day"]
    ]  # fmt: skip
    return Outcome(
        verdict,
        description,
        len(changes),
        {
            "files_checked": checked,
            "files_changed": len(changes),
            "changes": markdown_table(frame, ["source_file", "added", "removed"]),
        },
        days,
    )
