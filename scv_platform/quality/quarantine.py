"""Flagged fact rows in ``quality.quarantine``: idempotent per check and window, and release.

A quarantine entry is one (check, fact, bronze file, bronze row, load batch). Re-running a
check over the same days adds only rows not seen before, refreshes the reason of open
entries, and releases open entries whose row is no longer flagged (fixed upstream, the
dimension caught up). A released entry stays released while its row keeps the same load
batch; a re-delivered file (new batch) flagged again opens a new entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
import pandas as pd

from scv_platform.quality.facts import Fact
from scv_platform.quality.window import CheckWindow
from scv_platform.warehouse.operational_tables import QUARANTINE, ensure_operational_tables

_MATCH = (
    "q.check_name = $check AND q.source = $source AND q.source_file = f.source_file "
    "AND q.source_row = f.source_row AND q.batch_id IS NOT DISTINCT FROM f.batch_id"
)
_IN_WINDOW = "q.partition_key >= $start AND q.partition_key < $end"


@dataclass(frozen=True)
class QuarantineSync:
    added: int
    released: int
    open: int
    held: int


def sync_quarantine(
    con: duckdb.DuckDBPyConnection,
    check_name: str,
    fact: Fact,
    window: CheckWindow,
    flagged: pd.DataFrame,
    original_values: list[str],
    run_id: str | None,
    now: datetime,
) -> QuarantineSync:
    """Make the check's open quarantine entries for the window match its flagged rows."""
    ensure_operational_tables(con)
    frame = pd.DataFrame(
        {
            "source_file": flagged["source_file"].astype(object),
            "source_row": flagged["source_row"].astype("Int64"),
            "batch_id": flagged["batch_id"].astype(object),
            "column_name": flagged["column_name"].astype(object),
            "reason": (check_name + ": " + flagged["detail"].astype(str)).astype(object),
            "partition_key": flagged["partition_key"].astype(object),
            "original_values": pd.Series(original_values, index=flagged.index, dtype=object),
            "holds_row": flagged["holds_row"].astype(bool),
        }
    )
    match = {"check": check_name, "source": fact.name}
    scope = {**match, "start": window.start.isoformat(), "end": window.end.isoformat()}
    con.register("__flagged", frame)
    try:
        con.execute("BEGIN TRANSACTION")
        released = con.execute(
            f"""
            UPDATE {QUARANTINE} q SET released_at = $now,
                release_reason = 'no longer flagged by ' || $check
                    || ' (fixed upstream, dimension caught up or re-delivered)'
            WHERE q.check_name = $check AND q.source = $source AND q.released_at IS NULL
              AND {_IN_WINDOW}
              AND NOT EXISTS (SELECT 1 FROM __flagged f WHERE {_MATCH})
            """,
            {**scope, "now": now},
        ).fetchone()[0]
        con.execute(
            f"""
            UPDATE {QUARANTINE} q SET reason = f.reason, holds_row = f.holds_row
            FROM __flagged f
            WHERE {_MATCH} AND q.released_at IS NULL
              AND (q.reason <> f.reason OR q.holds_row IS DISTINCT FROM f.holds_row)
            """,
            match,
        )
        added = con.execute(
            f"""
            INSERT INTO {QUARANTINE} (source, source_file, source_row, column_name, reason,
                check_name, partition_key, original_values, batch_id, run_id, quarantined_at,
                holds_row)
            SELECT $source, f.source_file, f.source_row, f.column_name, f.reason, $check,
                   f.partition_key, f.original_values, f.batch_id, $run_id, $now, f.holds_row
            FROM __flagged f
            WHERE NOT EXISTS (SELECT 1 FROM {QUARANTINE} q WHERE {_MATCH})
            """,
            {**match, "run_id": run_id, "now": now},
        ).fetchone()[0]
        open_rows, held = con.execute(
            f"""
            SELECT count(*), count(*) FILTER (WHERE q.holds_row) FROM {QUARANTINE} q
            WHERE q.check_name = $check AND q.source = $source AND q.released_at IS NULL
              AND {_IN_WINDOW}
            """,
            scope,
        ).fetchone()
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("__flagged")
    return QuarantineSync(int(added), int(released), int(open_rows), int(held))


def release_rows(
    con: duckdb.DuckDBPyConnection,
    reason: str,
    check_name: str,
    source_file: str | None = None,
    source_row: int | None = None,
    now: datetime | None = None,
) -> int:
    """Release a check's open quarantine entries (all, a file's, or one row) after review.

    Released fact rows reach the marts on their next build; they are not flagged again by
    this check unless their file is re-delivered."""
    ensure_operational_tables(con)
    return con.execute(
        f"""
        UPDATE {QUARANTINE} SET released_at = coalesce($now, now()), release_reason = $reason
        WHERE check_name = $check AND released_at IS NULL
          AND ($file IS NULL OR source_file = $file) AND ($row IS NULL OR source_row = $row)
        """,
        {"check": check_name, "file": source_file, "row": source_row, "reason": reason,
         "now": now},
    ).fetchone()[0]  # fmt: skip
