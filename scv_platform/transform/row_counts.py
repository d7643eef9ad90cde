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


def stream_with_row_counts(
    invocation: DbtCliInvocation,
    engine: str,
    warehouse: object,
    context: dg.AssetExecutionContext,
) -> Iterator[Any]:
    """Yield the invocation's Dagster events with ``dagster/row_count`` on built tables; on
    DuckDB, append the dbt test results to the check history first."""
    if engine == "duckdb":
        try:
            events: Iterable[Any] = list(invocation.stream())
        finally:
            invocation.process.wait()  # dbt may hold the file lock until it has fully exited
    else:
        events = invocation.stream()
    seen: list[Any] = []
    with open_gateway(warehouse) as gateway:
        counted = _with_counts(events, invocation, gateway)
        if engine == "duckdb":
            counted = list(counted)  # all counts taken before Dagster handles the events
        for event in counted:
            seen.append(event)
            if engine != "duckdb":
                yield event
        append_check_results(
            gateway, dbt_check_records(seen, context.run_id, run_partition_key(context))
        )
    if engine == "duckdb":
        yield from seen
