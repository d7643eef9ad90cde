"""Checks on every bronze asset: the load reconciles, and no file was rejected (each result
is appended to the check history, quality.check_results)."""

import dagster as dg

from scv_platform.quality.history import record_result
from scv_platform.resources.warehouse import WAREHOUSE_KEY
from scv_platform.sources.assets import bronze_key
from scv_platform.sources.promotion import LOAD_CHECK_NAME, bronze_table
from scv_platform.sources.specs import SOURCES, SourceSpec
from scv_platform.warehouse.gateway import WarehouseGateway, open_gateway
from scv_platform.warehouse.operational_tables import LOAD_MANIFEST, QUARANTINE
from scv_platform.warehouse.sql import string_literal

SAMPLE_SIZE = 10


def _manifest_scope(spec: SourceSpec) -> tuple[str, dict]:
    """Every file of the source currently in the manifest: cheap, and a problem keeps showing
    until it is fixed, whichever day's run evaluates the check."""
    return "m.source = $source AND m.is_current", {"source": spec.table}


def reconciliation_rows(
    gateway: WarehouseGateway, spec: SourceSpec, where: str, params: dict
) -> list[tuple]:
    """Files whose recorded rows_read differ from rows present in bronze plus quarantine."""
    return gateway.execute(
        f"""
        WITH loaded AS (
            SELECT _batch_id AS batch_id, count(*) AS n FROM {bronze_table(spec)} GROUP BY 1
        ), quarantined AS (
            SELECT batch_id, count(*) AS n FROM {QUARANTINE}
            WHERE source = $source AND source_row IS NOT NULL
              AND check_name = {string_literal(LOAD_CHECK_NAME)} AND released_at IS NULL
            GROUP BY 1
        )
        SELECT m.source_file, m.rows_read, coalesce(l.n, 0), coalesce(q.n, 0), m.rows_loaded
        FROM {LOAD_MANIFEST} m
        LEFT JOIN loaded l ON l.batch_id = m.batch_id
        LEFT JOIN quarantined q ON q.batch_id = m.batch_id
        WHERE {where}
        ORDER BY m.source_file
        """,
        params,
    )


def build_bronze_checks(spec: SourceSpec) -> list[dg.AssetChecksDefinition]:

    @dg.asset_check(
        asset=bronze_key(spec),
        name=f"{spec.table}_load_reconciliation",
        description=(
            "Every loaded file reconciles: rows read = rows in bronze + rows in quarantine, "
            "and the rows in bronze are exactly the rows the load reported. Blocking."
        ),
        blocking=True,
        required_resource_keys={WAREHOUSE_KEY},
    )
    def load_reconciliation(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        where, params = _manifest_scope(spec)
        with open_gateway(getattr(context.resources, WAREHOUSE_KEY)) as gateway:
            rows = reconciliation_rows(gateway, spec, where, params)
        broken = [r for r in rows if r[1] != r[2] + r[3] or r[2] != r[4]]
        sample = "\n".join(
            f"- {f}: read {read}, in bronze {b}, quarantined {q} (load reported {loaded})"
            for f, read, b, q, loaded in broken[:SAMPLE_SIZE]
        )
        result = dg.AssetCheckResult(
            passed=not broken,
            severity=dg.AssetCheckSeverity.ERROR,
            description=(
                f"{len(broken)} of {len(rows)} files do not reconcile; rows were lost or loaded "
                "twice. Reload the listed files with force_reload and inspect the manifest."
                if broken
                else f"All {len(rows)} files reconcile."
            ),
            metadata={
                "files_checked": len(rows),
                "files_not_reconciling": len(broken),
                "rows_read": sum(r[1] for r in rows),
                "rows_in_bronze": sum(r[2] for r in rows),
                "rows_quarantined": sum(r[3] for r in rows),
                "sample": dg.MetadataValue.md(sample or "none"),
            },
        )
        with open_gateway(getattr(context.resources, WAREHOUSE_KEY)) as gateway:
            return record_result(gateway, context, result)

    @dg.asset_check(
        asset=bronze_key(spec),
        name=f"{spec.table}_rejected_files",
        description=(
            "Warns when a landing file was rejected whole (missing required column, empty, "
            "unreadable); its rows are in quarantine until a corrected file is delivered."
        ),
        required_resource_keys={WAREHOUSE_KEY},
    )
    def rejected_files(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        where, params = _manifest_scope(spec)
        with open_gateway(getattr(context.resources, WAREHOUSE_KEY)) as gateway:
            rows = gateway.execute(
                f"SELECT m.source_file, m.rows_read, m.message FROM {LOAD_MANIFEST} m "
                f"WHERE {where} AND m.status = 'rejected' ORDER BY m.source_file",
                params,
            )
            total = gateway.scalar(f"SELECT count(*) FROM {LOAD_MANIFEST} m WHERE {where}", params)
        sample = "\n".join(f"- {message}" for _, _, message in rows[:SAMPLE_SIZE])
        result = dg.AssetCheckResult(
            passed=not rows,
            severity=dg.AssetCheckSeverity.WARN,
            description=(
                f"{len(rows)} of {total} files rejected ({sum(r[1] for r in rows)} rows held in "
                "quarantine). Fix the file at its source and deliver it again under the same "
                "name: the new content replaces the rejected load."
                if rows
                else f"No rejected files among {total}."
            ),
            metadata={
                "files_checked": total,
                "files_rejected": len(rows),
                "rejected": dg.MetadataValue.md(sample or "none"),
            },
        )
        with open_gateway(getattr(context.resources, WAREHOUSE_KEY)) as gateway:
            return record_result(gateway, context, result)

    return [load_reconciliation, rejected_files]


def build_all_bronze_checks() -> list[dg.AssetChecksDefinition]:
    return [check for spec in SOURCES for check in build_bronze_checks(spec)]
