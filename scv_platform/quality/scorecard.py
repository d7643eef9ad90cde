"""``gold.dq_scorecard``: pass rates of the checks per asset and day, and the reconciliation of
the marts with the facts minus the rows held in quarantine."""

import dagster as dg
import duckdb
import pandas as pd

from scv_platform.automation.policies import daily_freshness_policy
from scv_platform.quality.explain import markdown_table
from scv_platform.quality.history import utc_now
from scv_platform.resources.warehouse import WAREHOUSE_KEY
from scv_platform.warehouse.frames import duckdb_table_write
from scv_platform.warehouse.gateway import open_gateway
from scv_platform.warehouse.operational_tables import (
    CHECK_RESULTS,
    QUARANTINE,
    ensure_operational_tables,
)

SCORECARD = "gold.dq_scorecard"
SCORECARD_KEY = dg.AssetKey(["gold", "dq_scorecard"])
# what the scorecard reads (on Snowflake it is built on a DuckDB working copy of these)
SCORECARD_INPUTS = [
    ("quality", "check_results"),
    ("quality", "quarantine"),
    ("gold", "fct_orders"),
    ("gold", "fct_transactions"),
    ("gold", "int_activity__customer_day"),
    ("gold", "metric_avg_transaction_value"),
]
QUARANTINE_KEY = dg.AssetKey(["quality", "quarantine"])
CHECK_RESULTS_KEY = dg.AssetKey(["quality", "check_results"])
# The marts the reconciliation reads; depending on them also places the scorecard after every
# stage of a full build (scv run), so it summarises the checks of that build.
MART_KEYS = (
    dg.AssetKey(["gold", "int_activity__customer_day"]),
    dg.AssetKey(["gold", "metric_avg_transaction_value"]),
)

DAY_PATTERN = "[0-9]{4}-[0-9]{2}-[0-9]{2}"
SCORECARD_SQL = f"""
CREATE OR REPLACE TABLE {SCORECARD} AS
WITH results AS (
    SELECT *,
           CASE WHEN regexp_full_match(coalesce(partition_key, ''), '{DAY_PATTERN}')
                THEN CAST(partition_key AS DATE) ELSE CAST(evaluated_at AS DATE) END AS day
    FROM {CHECK_RESULTS}
), evaluations AS (
    SELECT asset_key, day, count(*) AS evaluations FROM results GROUP BY asset_key, day
), latest AS (
    SELECT * FROM results
    QUALIFY row_number() OVER (
        PARTITION BY asset_key, check_name, day ORDER BY evaluated_at DESC) = 1
)
SELECT l.asset_key, l.day, count(*) AS checks,
       count(*) FILTER (WHERE l.passed) AS passed,
       count(*) FILTER (WHERE NOT l.passed AND l.severity = 'WARN') AS warned,
       count(*) FILTER (WHERE NOT l.passed AND l.severity <> 'WARN') AS failed,
       CAST(count(*) FILTER (WHERE l.passed) AS DOUBLE) / count(*) AS pass_rate,
       sum(l.failed_rows) AS failed_rows,
       max(e.evaluations) AS evaluations,
       max(l.evaluated_at) AS last_evaluated_at
FROM latest l JOIN evaluations e ON e.asset_key = l.asset_key AND e.day = l.day
GROUP BY l.asset_key, l.day
ORDER BY l.day, l.asset_key
"""

HELD_SQL = f"""
    SELECT DISTINCT source, source_file, source_row FROM {QUARANTINE}
    WHERE holds_row AND released_at IS NULL
"""


def _exists(con: duckdb.DuckDBPyConnection, *relations: str) -> bool:
    found = {
        f"{s}.{t}"
        for s, t in con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables"
        ).fetchall()
    }
    return all(r in found for r in relations)


def reconciliation(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Fact rows that should reach each mart (facts - held rows) against what the mart holds."""
    checks = [
        (
            "int_activity__customer_day",
            "fct_orders",
            "gold.fct_orders",
            "f.scv_customer_id IS NOT NULL",
            "SELECT sum(orders_placed) FROM gold.int_activity__customer_day",
        ),
        (
            "int_activity__customer_day",
            "fct_transactions",
            "gold.fct_transactions",
            "f.scv_customer_id IS NOT NULL",
            "SELECT sum(approved_transactions + declined_transactions) "
            "FROM gold.int_activity__customer_day",
        ),
        (
            "metric_avg_transaction_value",
            "fct_transactions",
            "gold.fct_transactions",
            "true",
            "SELECT sum(approved_transactions + declined_transactions) "
            "FROM gold.metric_avg_transaction_value",
        ),
    ]
    rows = []
    for mart, fact, table, scope, mart_sql in checks:
        if not _exists(con, table, f"gold.{mart}"):
            continue
        facts, held = con.execute(
            f"""
            WITH held AS ({HELD_SQL})
            SELECT count(*), count(h.source) FROM {table} f
            LEFT JOIN held h ON h.source = $fact AND h.source_file = f._source_file
                AND h.source_row = f._source_row
            WHERE {scope}
            """,
            {"fact": fact},
        ).fetchone()
        in_mart = int(con.execute(mart_sql).fetchone()[0] or 0)
        rows.append(
            {
                "mart": mart,
                "fact": fact,
                "fact_rows": facts,
                "held_in_quarantine": held,
                "expected_in_mart": facts - held,
                "in_mart": in_mart,
                "reconciles": facts - held == in_mart,
            }
        )
    return pd.DataFrame(rows)


def build_scorecard(con: duckdb.DuckDBPyConnection) -> dg.MaterializeResult:
    ensure_operational_tables(con)
    con.execute("CREATE SCHEMA IF NOT EXISTS gold")
    con.execute(SCORECARD_SQL)
    recent = con.execute(
        f"""
        SELECT asset_key, sum(checks) AS checks, sum(passed) AS passed, sum(warned) AS warned,
               sum(failed) AS failed, round(sum(passed) / sum(checks), 3) AS pass_rate
        FROM {SCORECARD}
        WHERE day >= (SELECT max(day) FROM {SCORECARD}) - 6
        GROUP BY asset_key ORDER BY pass_rate, asset_key
        """
    ).df()
    rows, overall = con.execute(
        f"SELECT count(*), sum(passed) / nullif(sum(checks), 0) FROM {SCORECARD}"
    ).fetchone()
    recon = reconciliation(con)
    columns = ["asset_key", "checks", "passed", "warned", "failed", "pass_rate"]
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": int(rows),
            "pass_rate_all_days": float(overall or 0.0),
            "last_7_days_by_asset": dg.MetadataValue.md(markdown_table(recent, columns)),
            "marts_reconcile": bool(recon["reconciles"].all()) if not recon.empty else True,
            "reconciliation": dg.MetadataValue.md(markdown_table(recon, list(recon.columns))),
            "built_at": utc_now().isoformat(timespec="seconds"),
        }
    )


def build_scorecard_assets(engine: str) -> list[dg.AssetsDefinition | dg.AssetSpec]:
    """The scorecard, and the two operational tables it (and the marts) read, as external
    assets: the bronze loader and the checks write them, nothing materialises them."""
    quarantine = dg.AssetSpec(
        QUARANTINE_KEY,
        group_name="quality",
        kinds={engine},
        description=(
            "quality.quarantine: rows not loaded (bronze load problems) or flagged by a "
            "row-level check (fact rows; holds_row = kept out of the marts until released)."
        ),
    )
    history = dg.AssetSpec(
        CHECK_RESULTS_KEY,
        group_name="quality",
        kinds={engine},
        description="quality.check_results: one row per check evaluation (dbt and Python).",
    )

    @dg.asset(
        key=SCORECARD_KEY,
        group_name="quality",
        kinds={"python", engine},
        deps=[CHECK_RESULTS_KEY, QUARANTINE_KEY, *MART_KEYS],
        freshness_policy=daily_freshness_policy(),
        automation_condition=dg.AutomationCondition.eager(),
        required_resource_keys={WAREHOUSE_KEY},
        description=(
            "Pass rates of every check (dbt tests and Python checks) per asset and day, from "
            "quality.check_results: the latest result of each check per day (a day partition, "
            "else the day it ran). Metadata: the last 7 days by asset, and the reconciliation "
            "of the marts with the facts minus the rows held in quality.quarantine."
        ),
    )
    def dq_scorecard(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        with open_gateway(getattr(context.resources, WAREHOUSE_KEY)) as gateway:
            with gateway.duckdb_copy(SCORECARD_INPUTS) as con:
                result = build_scorecard(con)
                if gateway.engine != "duckdb":  # built on a working copy: write it back
                    schema, name = SCORECARD.split(".")
                    gateway.write_frames([duckdb_table_write(con, schema, name)])
            return result

    return [quarantine, history, dq_scorecard]
