"""The data-quality asset checks, each attached to the asset it judges.

Row-level checks on the facts are partition-aware (they read only the run's day window),
blocking (the marts wait for them, and an ERROR stops them), quarantine what they flag and
write one history row per judged day. Every check reads the warehouse only, so it also runs
without materialising (the monitoring job).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import dagster as dg
import duckdb
import pandas as pd

from scv_platform.quality import customer_rules, fact_rules, source_rules
from scv_platform.quality.explain import SAMPLE_COLUMNS, describe_flagged, markdown_table
from scv_platform.quality.facts import ORDERS, TRANSACTIONS, Fact, original_values
from scv_platform.quality.history import append_check_results, utc_now
from scv_platform.quality.outcome import DayOutcome, Outcome
from scv_platform.quality.quarantine import sync_quarantine
from scv_platform.quality.severity import Thresholds, Verdict, judge_rows, share
from scv_platform.quality.window import CheckWindow, check_window
from scv_platform.resources.warehouse import WAREHOUSE_KEY
from scv_platform.settings import QualitySettings, load_quality_settings
from scv_platform.sources.assets import bronze_key
from scv_platform.sources.promotion import bronze_table
from scv_platform.sources.specs import SOURCES, SourceSpec
from scv_platform.warehouse.frames import duckdb_table_write
from scv_platform.warehouse.gateway import TableName, WarehouseGateway, open_gateway
from scv_platform.warehouse.operational_tables import (
    LOAD_MANIFEST,
    QUARANTINE,
    ensure_operational_tables,
)
from scv_platform.warehouse.sql import string_literal

DIM_CUSTOMER_KEY = dg.AssetKey(["gold", "dim_customer"])
WEATHER_COVERAGE_KEY = dg.AssetKey(["gold", "weather_customer_coverage"])
HELD = "held out of the marts in quality.quarantine until released"
Evaluate = Callable[
    [duckdb.DuckDBPyConnection, CheckWindow, QualitySettings, str, datetime], Outcome
]


@dataclass(frozen=True)
class RowCheck:
    """A row-level rule on a fact: flagged rows go to the quarantine."""

    name: str
    fact: Fact
    rule: fact_rules.Rule
    problem: str  # "... {k} ..." / "... {z} ..." filled from the settings
    action: str
    tables: tuple[str, ...]

    def problem_text(self, settings: QualitySettings) -> str:
        return self.problem.format(
            k=f"{settings.iqr_multiplier:g}", z=f"{settings.zscore_threshold:g}"
        )


ROW_CHECKS = (
    RowCheck(
        "orders_quantity_iqr",
        ORDERS,
        fact_rules.quantity_iqr,
        "have a quantity outside Q1 - {k} x IQR .. Q3 + {k} x IQR of their product category",
        f"{HELD}. Check the order with the shop: clamp the quantity to the fence or send the "
        "order to manual review; re-deliver the day's file with the corrected quantity (the "
        "next run releases the row), or release it in quality.quarantine if it is genuine.",
        (ORDERS.table, fact_rules.DIM_PRODUCT),
    ),
    RowCheck(
        "orders_amount_zscore",
        ORDERS,
        fact_rules.orders_amount_zscore,
        "have an amount per unit |z| >= {z} from their product's median (robust z, log scale)",
        f"{HELD}. Compare with the product's price: recompute the total as quantity x unit "
        "price or take the product's median amount, and re-deliver the day's file; release "
        "the row if the price was genuine (a clearance, a price change).",
        (ORDERS.table,),
    ),
    RowCheck(
        "transactions_amount_zscore",
        TRANSACTIONS,
        fact_rules.transactions_amount_zscore,
        "have an amount |z| >= {z} from the card's usual amount in the merchant category "
        "(robust z on the category's spread, log scale)",
        f"{HELD}. Send to manual review with the card processor (keying error, duplicate "
        "authorisation or fraud); release the row once confirmed genuine, or have the day's "
        "file re-delivered corrected.",
        (TRANSACTIONS.table,),
    ),
    RowCheck(
        "orders_total_consistency",
        ORDERS,
        fact_rules.orders_total_consistency,
        "have a total_amount that is empty or differs from quantity x unit price",
        "disagreeing totals are held out of the marts in quality.quarantine: recompute the "
        "total as quantity x unit price (or take the product's median) with the shop and "
        "re-deliver the day's file, or release the row after review. Empty totals stay in the "
        "marts, imputed as quantity x unit price; ask the shop to send the total.",
        (ORDERS.table,),
    ),
    RowCheck(
        "fk_orders_product",
        ORDERS,
        fact_rules.fk_orders_product,
        "name a product that is not in dim_product",
        f"{HELD}: hold them until the dimension catches up. Deliver a product catalogue "
        "export that includes the product (the next run releases the rows), or correct the "
        "product id in the day's file.",
        (ORDERS.table, fact_rules.DIM_PRODUCT),
    ),
    RowCheck(
        "fk_orders_customer",
        ORDERS,
        fact_rules.fk_orders_customer,
        "have a customer that does not resolve to a current customer of record",
        "orders without a resolvable customer are held out of the marts until the dimension "
        "catches up (re-run identity resolution, then the facts of the day); orders of shop "
        "accounts linked to no CRM or legacy customer stay in the marts and wait in "
        "quality.quarantine for review. An account whose e-mail fits several customers is "
        f"listed with its candidates in {fact_rules.AMBIGUOUS_SHOP}: decide which one and "
        "add a merge row to the identity_overrides seed. An account whose e-mail fits nobody "
        "is a guest checkout or an unknown shopper: ask the shop who it is, or leave it.",
        (ORDERS.table, fact_rules.DIM_CUSTOMER, fact_rules.AMBIGUOUS_SHOP),
    ),
    RowCheck(
        "fk_transactions_card_account",
        TRANSACTIONS,
        fact_rules.fk_transactions_card_account,
        "name a card account missing from dim_card_account or held by no current customer",
        f"{HELD}: hold them until the dimension catches up. Ask the CRM team for the card "
        "account export that includes the card (and its holder); the next run releases them.",
        (TRANSACTIONS.table, fact_rules.DIM_CARD_ACCOUNT, fact_rules.DIM_CUSTOMER),
    ),
)


def relation_exists(con: duckdb.DuckDBPyConnection, relation: str) -> bool:
    schema, name = relation.split(".")
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema = $schema AND table_name = $name",
            {"schema": schema, "name": name},
        ).fetchone()[0]
    )


def _by_day_table(flagged: pd.DataFrame, checked_by_day: dict[str, int], size: int) -> str:
    if flagged.empty:
        return "none"
    counts = flagged.groupby("partition_key").size().sort_values(ascending=False).head(size)
    frame = pd.DataFrame(
        {
            "day": counts.index,
            "flagged": counts.to_numpy(),
            "checked": [checked_by_day.get(d, 0) for d in counts.index],
        }
    )
    return markdown_table(frame, ["day", "flagged", "checked"])


def evaluate_row_check(
    con: duckdb.DuckDBPyConnection,
    check: RowCheck,
    window: CheckWindow,
    settings: QualitySettings,
    run_id: str | None,
    now: datetime,
) -> Outcome:
    """Run the rule over the window, sync the quarantine and judge the share of bad rows."""
    result = check.rule(con, window, settings)
    flagged = result.flagged
    sync = sync_quarantine(
        con, check.name, check.fact, window, flagged, original_values(con, check.fact, flagged),
        run_id, now,
    )  # fmt: skip
    thresholds = Thresholds(*settings.thresholds(check.name))
    bad_share = share(len(flagged), result.checked)
    held = flagged[flagged["holds_row"].astype(bool)]
    verdict = judge_rows(len(flagged), len(held), result.checked, thresholds)
    problem = check.problem_text(settings)
    description = describe_flagged(
        flagged, result.checked, check.fact.noun, problem, window.label, verdict, thresholds,
        check.action, settings.sample_size,
    )  # fmt: skip
    flagged_by_day = result.flagged_by_day()
    held_by_day = held.groupby("partition_key").size().to_dict() if len(held) else {}
    days = []
    for day, checked in sorted(result.checked_by_day.items()):
        bad = flagged_by_day.get(day, 0)
        day_verdict = judge_rows(bad, held_by_day.get(day, 0), checked, thresholds)
        days.append(
            DayOutcome(day, day_verdict, bad, f"{bad} of {checked} {check.fact.noun} {problem}.")
        )
    issues = flagged["issue"].value_counts()
    return Outcome(
        verdict,
        description,
        len(flagged),
        {
            "checked_rows": result.checked,
            "failed_share": bad_share,
            "held_share": share(len(held), result.checked),
            "warn_above": thresholds.warn,
            "error_above": thresholds.error,
            "window": window.label,
            "by_issue": ", ".join(f"{k}: {v}" for k, v in issues.items()) or "none",
            "sample": dg.MetadataValue.md(
                markdown_table(flagged.head(settings.sample_size), list(SAMPLE_COLUMNS))
            ),
            "worst_days": dg.MetadataValue.md(
                _by_day_table(flagged, result.checked_by_day, settings.sample_size)
            ),
            "quarantine_added": sync.added,
            "quarantine_released": sync.released,
            "quarantine_open": sync.open,
            "held_out_of_marts": sync.held,
        },
        days,
    )


def _table_names(tables: tuple[str, ...]) -> list[TableName]:
    return [tuple(t.split(".")) for t in tables]  # type: ignore[misc]


def _check_quarantine_sql(name: str, window: CheckWindow | None = None) -> str:
    """The check's quarantine entries (of the window), as a trusted condition."""
    where = f"check_name = {string_literal(name)}"
    if window is not None:
        where += (
            f" AND partition_key >= {string_literal(window.start.isoformat())}"
            f" AND partition_key < {string_literal(window.end.isoformat())}"
        )
    return where


def _copy_check_quarantine(
    gateway: WarehouseGateway, con: duckdb.DuckDBPyConnection, name: str
) -> None:
    """Into a working copy: the quarantine table as its DDL declares it, holding the check's
    own entries."""
    ensure_operational_tables(con)
    if gateway.table_exists(*QUARANTINE.split(".")):
        frame = gateway.fetch_frame(
            f"SELECT * FROM {QUARANTINE} WHERE {_check_quarantine_sql(name)}"
        )
        con.register("_check_quarantine", frame)
        try:
            con.execute(f"INSERT INTO {QUARANTINE} BY NAME SELECT * FROM _check_quarantine")
        finally:
            con.unregister("_check_quarantine")


def _write_back_quarantine(
    gateway: WarehouseGateway, con: duckdb.DuckDBPyConnection, name: str, window: CheckWindow
) -> None:
    """The check's entries of the window, from the working copy back to the warehouse."""
    schema, table = QUARANTINE.split(".")
    where = _check_quarantine_sql(name, window)
    gateway.write_frames([duckdb_table_write(con, schema, table, where)])


def _execute(
    context: dg.AssetCheckExecutionContext,
    name: str,
    asset_key: dg.AssetKey,
    tables: tuple[str, ...],
    evaluate: Evaluate,
    quarantines: bool = False,
) -> dg.AssetCheckResult:
    """Evaluate on the warehouse (on Snowflake: on a DuckDB working copy of the tables read,
    then write the check's quarantine entries back), append the history rows, return the
    Dagster result."""
    settings = load_quality_settings()
    window = check_window(context)
    now = utc_now()
    with open_gateway(getattr(context.resources, WAREHOUSE_KEY)) as gateway:
        working_copy = gateway.engine != "duckdb"
        with gateway.duckdb_copy(_table_names(tables)) as con:
            con.execute("SET enable_progress_bar = false")  # no console bars in the step logs
            if quarantines and working_copy:
                _copy_check_quarantine(gateway, con, name)
            missing = [t for t in tables if not relation_exists(con, t)]
            if missing:
                outcome = Outcome(
                    Verdict(False, dg.AssetCheckSeverity.WARN),
                    f"{', '.join(missing)} does not exist yet: materialise it before checking "
                    f"{asset_key.to_user_string()}.",
                    0,
                )
            else:
                outcome = evaluate(con, window, settings, context.run.run_id, now)
            if quarantines and working_copy and not missing:
                _write_back_quarantine(gateway, con, name, window)
        append_check_results(
            gateway, outcome.records(name, asset_key, context.run.run_id, now, window.partition_key)
        )
    return outcome.result()


def build_row_check(
    check: RowCheck, partitions: dg.PartitionsDefinition
) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=check.fact.asset_key,
        name=check.name,
        partitions_def=partitions,
        blocking=True,
        required_resource_keys={WAREHOUSE_KEY},
        description=(
            f"{check.fact.noun.capitalize()} that {check.problem_text(load_quality_settings())} "
            f"(SCV_DQ_* thresholds on the share of bad rows). Flagged rows go to "
            f"quality.quarantine. What to do: {check.action}"
        ),
    )
    def row_check(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        return _execute(
            context,
            check.name,
            check.fact.asset_key,
            check.tables,
            lambda con, window, settings, run_id, now: evaluate_row_check(
                con, check, window, settings, run_id, now
            ),
            quarantines=True,
        )

    return row_check


@dataclass(frozen=True)
class AggregateCheck:
    """A check judging a whole table (or a source's files): no quarantine."""

    name: str
    asset_key: dg.AssetKey
    description: str
    tables: tuple[str, ...]
    evaluate: Evaluate
    partitioned: bool = False
    blocking: bool = False


def build_aggregate_check(
    check: AggregateCheck, partitions: dg.PartitionsDefinition
) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=check.asset_key,
        name=check.name,
        partitions_def=partitions if check.partitioned else None,
        blocking=check.blocking,
        required_resource_keys={WAREHOUSE_KEY},
        description=check.description,
    )
    def aggregate_check(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        return _execute(context, check.name, check.asset_key, check.tables, check.evaluate)

    return aggregate_check


def customer_checks() -> list[AggregateCheck]:
    dims = (customer_rules.DIM_CUSTOMER,)
    return [
        AggregateCheck(
            "customer_duplicates",
            DIM_CUSTOMER_KEY,
            "Golden customers that still look like one person: two current scv ids sharing a "
            "normalised e-mail or phone. Blocking: an ERROR stops the marts (double counting).",
            dims,
            lambda con, window, settings, run_id, now: customer_rules.customer_duplicates(
                con, settings
            ),
            blocking=True,
        ),
        AggregateCheck(
            "postal_code_completeness",
            DIM_CUSTOMER_KEY,
            "Share of current customers with a valid 5-digit ZIP code (weather analytics and "
            "regions need it).",
            dims,
            lambda con, window, settings, run_id, now: customer_rules.postal_code_completeness(
                con, settings
            ),
        ),
        AggregateCheck(
            "weather_coverage",
            WEATHER_COVERAGE_KEY,
            "Share of current customers with weather for their ZIP code on the latest weather "
            "day (goal 90 %: warn above 10 % uncovered by default).",
            (
                customer_rules.WEATHER_COVERAGE,
                customer_rules.DIM_CUSTOMER,
                customer_rules.STG_WEATHER,
            ),
            lambda con, window, settings, run_id, now: customer_rules.weather_coverage(
                con, settings
            ),
        ),
    ]


def source_checks(spec: SourceSpec) -> list[AggregateCheck]:
    checks = [
        AggregateCheck(
            f"{spec.table}_schema_change",
            bronze_key(spec),
            f"Columns of each {spec.table} file against the file delivered before it (the "
            "contract's columns for the first): ERROR when a contract column disappears, WARN "
            "for any other added or removed column.",
            (LOAD_MANIFEST,),
            lambda con, window, settings, run_id, now: source_rules.schema_change(
                con, spec, window, settings
            ),
            partitioned=spec.daily,
        )
    ]
    if spec.daily:
        checks.append(
            AggregateCheck(
                f"{spec.table}_volume",
                bronze_key(spec),
                f"Rows of each day of {spec.table} against the median of the same weekday of "
                "recent weeks (seasonality by weekday): drops and spikes beyond the "
                "SCV_DQ_VOLUME_* "
                "relative change warn or fail.",
                (bronze_table(spec),),
                lambda con, window, settings, run_id, now: source_rules.volume(
                    con, spec, window, settings
                ),
                partitioned=True,
            )
        )
    return checks


def build_quality_checks(partitions: dg.PartitionsDefinition) -> list[dg.AssetChecksDefinition]:
    """Every Python data-quality check of the platform."""
    aggregates = customer_checks() + [c for spec in SOURCES for c in source_checks(spec)]
    return [build_row_check(c, partitions) for c in ROW_CHECKS] + [
        build_aggregate_check(c, partitions) for c in aggregates
    ]
