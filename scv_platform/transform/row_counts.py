"""Row counts of built dbt models as materialisation metadata, on either engine, and the dbt
test results appended to the check history (``quality.check_results``).

dagster-dbt's ``fetch_row_counts`` queries the warehouse from this process while dbt still
runs in its own; DuckDB has a single writer, so locally the counts are taken once dbt has
exited (the events are held back until then), and the test results are written then too.
Snowflake keeps the streaming counts.
"""

from collections.abc import Iterator
from typing import Any

import dagster as dg
from dagster_dbt.core.dbt_cli_invocation import DbtCliInvocation

from scv_platform.quality.history import append_check_results, dbt_check_records, run_partition_key
from scv_platform.resources.warehouse import duckdb_connection
from scv_platform.warehouse.sql import quote_identifier


def _relation(invocation: DbtCliInvocation, event: Any) -> str | None:
    if not isinstance(event, dg.Output | dg.AssetMaterialization):
        return None
    unique_id = event.metadata.get("unique_id")
    node = invocation.manifest["nodes"].get(unique_id.value if unique_id else "", {})
    if node.get("config", {}).get("materialized") in {None, "view", "ephemeral"}:
        return None  # counting a view runs its whole query
    # schema.alias, not relation_name: the database part names the DuckDB file the manifest
    # was parsed against, which need not be the warehouse this run writes to
    return f"{quote_identifier(node['schema'])}.{quote_identifier(node['alias'])}"


def stream_with_row_counts(
    invocation: DbtCliInvocation,
    engine: str,
    warehouse: object,
    context: dg.AssetExecutionContext,
) -> Iterator[Any]:
    """Yield the invocation's Dagster events with ``dagster/row_count`` on built tables; on
    DuckDB, append the dbt test results to the check history first."""
    if engine != "duckdb":
        yield from invocation.stream().fetch_row_counts()
        return
    try:
        events = list(invocation.stream())
    finally:
        invocation.process.wait()  # dbt may hold the file lock until it has fully exited
    relations = {id(e): r for e in events if (r := _relation(invocation, e))}
    counts: dict[str, int] = {}
    checks = dbt_check_records(events, context.run_id, run_partition_key(context))
    if relations or checks:
        with duckdb_connection(warehouse) as con:
            for relation in set(relations.values()):
                counts[relation] = con.execute(f"SELECT count(*) FROM {relation}").fetchone()[0]
            append_check_results(con, checks)
    for event in events:
        relation = relations.get(id(event))
        if relation is not None and isinstance(event, dg.Output):
            yield event.with_metadata({**event.metadata, "dagster/row_count": counts[relation]})
        else:
            yield event
