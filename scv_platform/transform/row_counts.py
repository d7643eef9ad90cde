"""Row counts of built dbt models as materialisation metadata, on either engine, and the dbt
test results appended to the check history (``quality.check_results``).

Counts are taken through the warehouse gateway by ``schema.alias`` (the manifest's
relation names carry the database the manifest was parsed against, which need not be the
one this run writes to). DuckDB has a single writer, so locally the counts are taken once
dbt has exited (the events are held back until then); on Snowflake each count is taken as
its model's event streams by. The test results are appended once the invocation is over.
"""

from collections.abc import Iterable, Iterator
from typing import Any

import dagster as dg
from dagster_dbt.core.dbt_cli_invocation import DbtCliInvocation
from dagster_dbt.errors import DagsterDbtCliRuntimeError

from scv_platform.quality.history import append_check_results, dbt_check_records, run_partition_key
from scv_platform.warehouse.gateway import WarehouseGateway, open_gateway
from scv_platform.warehouse.sql import quote_identifier

ROW_COUNT = "dagster/row_count"


def _relation(invocation: DbtCliInvocation, event: Any) -> str | None:
    if not isinstance(event, dg.Output | dg.AssetMaterialization):
        return None
    unique_id = event.metadata.get("unique_id")
    node = invocation.manifest["nodes"].get(unique_id.value if unique_id else "", {})
    if node.get("config", {}).get("materialized") in {None, "view", "ephemeral"}:
        return None  # counting a view runs its whole query
    return f"{quote_identifier(node['schema'])}.{quote_identifier(node['alias'])}"


def _relation_sql(relation: str, engine: str) -> str:
    # Snowflake keeps unquoted dbt identifiers in upper case
    return relation.upper() if engine == "snowflake" else relation


def _with_counts(
    events: Iterable[Any], invocation: DbtCliInvocation, gateway: WarehouseGateway
) -> Iterator[Any]:
    for event in events:
        relation = _relation(invocation, event)
        if relation is None or not isinstance(event, dg.Output):
            yield event
            continue
        count = gateway.scalar(f"SELECT count(*) FROM {_relation_sql(relation, gateway.engine)}")
        yield event.with_metadata({**event.metadata, ROW_COUNT: int(count)})


def _drain(invocation: DbtCliInvocation) -> tuple[list[Any], DagsterDbtCliRuntimeError | None]:
    """Every event of the invocation, and the error it ended with (if any)."""
    events: list[Any] = []
    try:
        events.extend(invocation.stream())
    except DagsterDbtCliRuntimeError as exc:
        return events, exc
    finally:
        invocation.process.wait()  # dbt may hold the file lock until it has fully exited
    return events, None


def _final_error(invocation: DbtCliInvocation, error: DagsterDbtCliRuntimeError) -> Exception:
    """dbt exits 1 when a model or test failed: the same data fails again, so no retry. Other
    exits (2: the warehouse was unreachable, dbt crashed) keep the step's retry policy."""
    if invocation.process.returncode != 1:
        return error
    return dg.Failure(
        description=f"dbt reported failed models or tests: {error}",
        allow_retries=False,
    )


def stream_with_row_counts(
    invocation: DbtCliInvocation,
    engine: str,
    warehouse: object,
    context: dg.AssetExecutionContext,
) -> Iterator[Any]:
    """Yield the invocation's Dagster events with ``dagster/row_count`` on built tables and
    append the dbt test results to the check history, also when dbt failed (then raise:
    without a retry when a model or test failed). On DuckDB (one writer) every count is taken
    after dbt has exited; on Snowflake as the events stream."""
    seen: list[Any] = []
    error: DagsterDbtCliRuntimeError | None = None
    events: list[Any] = []
    if engine == "duckdb":  # dbt holds the file lock: open the gateway once it has exited
        events, error = _drain(invocation)
    with open_gateway(warehouse) as gateway:
        if engine == "duckdb":
            seen = list(_with_counts(events, invocation, gateway))
        else:
            try:
                for event in _with_counts(invocation.stream(), invocation, gateway):
                    seen.append(event)
                    yield event
            except DagsterDbtCliRuntimeError as exc:
                error = exc
        append_check_results(
            gateway, dbt_check_records(seen, context.run_id, run_partition_key(context))
        )
    if engine == "duckdb":
        yield from seen
    if error is not None:
        raise _final_error(invocation, error) from error
