"""The facts the row-level checks judge, and what every flagged row carries."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import dagster as dg
import duckdb
import pandas as pd

from scv_platform.quality.window import CheckWindow


@dataclass(frozen=True)
class Fact:
    """A daily-partitioned fact table: its key and lineage columns name each flagged row."""

    name: str
    key: str
    noun: str

    @property
    def table(self) -> str:
        return f"gold.{self.name}"

    @property
    def asset_key(self) -> dg.AssetKey:
        return dg.AssetKey(["gold", self.name])


ORDERS = Fact("fct_orders", "order_id", "orders")
TRANSACTIONS = Fact("fct_transactions", "transaction_id", "card transactions")

# Every rule returns these columns (then its own value columns): the fact's key, its
# partition and lineage (bronze file and row), the judged column, the issue and whether the
# row is held out of the marts while it sits unreleased in the quarantine.
FLAG_COLUMNS = (
    "record_id",
    "partition_key",
    "source_file",
    "source_row",
    "batch_id",
    "column_name",
    "issue",
    "detail",
    "holds_row",
)
WINDOW_SQL = "{a}.partition_date >= $start AND {a}.partition_date < $end"
REFERENCE_SQL = "{a}.partition_date >= $ref_start AND {a}.partition_date < $end"


def lineage_sql(fact: Fact, alias: str) -> str:
    """The flagged row's identity: key, partition, bronze file and row, load batch."""
    return (
        f"{alias}.{fact.key} AS record_id, CAST({alias}.partition_date AS VARCHAR) "
        f"AS partition_key, {alias}._source_file AS source_file, {alias}._source_row "
        f"AS source_row, {alias}._batch_id AS batch_id"
    )


@dataclass
class RuleResult:
    """Flagged rows (``FLAG_COLUMNS`` first) and the rows judged per day of the window."""

    flagged: pd.DataFrame
    checked_by_day: dict[str, int] = field(default_factory=dict)

    @property
    def checked(self) -> int:
        return sum(self.checked_by_day.values())

    def flagged_by_day(self) -> dict[str, int]:
        if self.flagged.empty:
            return {}
        return self.flagged.groupby("partition_key").size().astype(int).to_dict()


def rows_by_day(con: duckdb.DuckDBPyConnection, fact: Fact, window: CheckWindow) -> dict[str, int]:
    rows = con.execute(
        f"SELECT CAST(f.partition_date AS VARCHAR), count(*) FROM {fact.table} f "
        f"WHERE {WINDOW_SQL.format(a='f')} GROUP BY 1",
        window.params(),
    ).fetchall()
    return {day: int(n) for day, n in rows}


def original_values(con: duckdb.DuckDBPyConnection, fact: Fact, flagged: pd.DataFrame) -> list[str]:
    """Each flagged row's fact values as JSON (in the order of ``flagged``)."""
    if flagged.empty:
        return []
    keys = pd.DataFrame({"record_id": flagged["record_id"].astype(str).unique()})
    con.register("__flagged_keys", keys)
    try:
        rows = con.execute(
            f"SELECT f.* FROM {fact.table} f "
            f"JOIN __flagged_keys k ON k.record_id = CAST(f.{fact.key} AS VARCHAR)"
        ).df()
    finally:
        con.unregister("__flagged_keys")
    rows = rows.drop(columns=[c for c in rows.columns if c.startswith("_")])
    by_key = {
        str(r[fact.key]): json.dumps(r, default=str, sort_keys=True)
        for r in rows.astype(object).where(rows.notna(), None).to_dict("records")
    }
    return [by_key.get(str(k), "{}") for k in flagged["record_id"]]
