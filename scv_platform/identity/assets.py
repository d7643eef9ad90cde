"""Dagster assets of identity resolution: the crosswalk and its companion tables, with checks.

One step reads the inputs from the warehouse (on Snowflake: into an in-memory DuckDB),
closes the connection, resolves in memory (Splink on its own in-memory DuckDB) and reopens
the warehouse only to write the outputs in one transaction, so the warehouse file lock is
held for seconds.
"""

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import NamedTuple

import dagster as dg
import pandas as pd

from scv_platform.automation.policies import daily_freshness_policy
from scv_platform.automation.retries import IDENTITY_RETRY
from scv_platform.identity.checks import build_identity_checks
from scv_platform.identity.config import IdentityConfig
from scv_platform.identity.tables import (
    AMBIGUOUS,
    AMBIGUOUS_COLUMNS,
    CANDIDATES,
    CARD_LINKS,
    CROSSWALK,
    CROSSWALK_COLUMNS,
    EXPLANATIONS,
    LINEAGE,
    LINKS,
    MODEL,
    OVERRIDES,
    MissingInputError,
    Table,
    output_writes,
    read_inputs,
    read_previous,
)
from scv_platform.resources.warehouse import WAREHOUSE_KEY
from scv_platform.warehouse.gateway import open_gateway

IDENTITY_GROUP = "identity"
INPUT_KEYS = [dg.AssetKey(t.asset_path) for t in (CANDIDATES, CARD_LINKS, OVERRIDES)]
# what resolution reads: its inputs, the previous crosswalk and lineage (stable ids) and
# the latest trained model
READ_TABLES: list[Table] = [CANDIDATES, CARD_LINKS, OVERRIDES, CROSSWALK, LINEAGE, MODEL]
PREVIEW_ROWS = 10


class IdentityDefinitions(NamedTuple):
    """What :func:`build_identity_assets` returns: pass both to ``dg.Definitions``."""

    assets: list[dg.AssetsDefinition]
    asset_checks: list[dg.AssetChecksDefinition]


DESCRIPTIONS: dict[Table, str] = {
    CROSSWALK: (
        "One row per source identity (CRM contact, legacy customer, web shop account) "
        "with its stable scv_customer_id, the rule or model that linked it "
        "(match_rule) and the Splink probability for probabilistic links. "
        "Deterministic rules first, then Splink, then clustering with steward "
        "overrides; ids survive re-runs (see silver.identity_id_lineage)."
    ),
    EXPLANATIONS: (
        "One row per probabilistic (Splink) link at or above the threshold: both "
        "identities, probability, match weight, the prior and one match weight per "
        "field (mw_*, log2 Bayes factors, term-frequency adjustments included), and "
        "whether clustering accepted it."
    ),
    LINKS: (
        "Every link considered by clustering (overrides, rules, Splink, e-mail aliases) "
        "with its status: accepted, redundant, or rejected (never_merge override, or "
        "two CRM contacts on probabilistic evidence only)."
    ),
    AMBIGUOUS: (
        "The steward's review queue: identities known only by an e-mail address (web "
        "shop accounts) whose address several customers could own, so the e-mail alias "
        "rule left them unlinked. One row each, with the deciding rule tier and the "
        "candidate customers; settle one with a merge row in the identity_overrides "
        "seed. An e-mail-only identity that is neither linked nor listed here fits "
        "nobody on record (a guest checkout, an unknown shopper)."
    ),
    LINEAGE: (
        "Append-only history of scv_customer_id changes: merges (an id absorbed into "
        "another) and splits (identities leaving an id for a new one), with reasons."
    ),
}


EXPLANATION_KEY = "sample_explanation_key"


def _previous_explanation(context: dg.AssetExecutionContext) -> tuple[str, str] | None:
    """(key, Markdown) of the sample explanation of the crosswalk's latest materialisation."""
    event = context.instance.get_latest_materialization_event(dg.AssetKey(CROSSWALK.asset_path))
    metadata = event.asset_materialization.metadata if event and event.asset_materialization else {}
    key, markdown = metadata.get(EXPLANATION_KEY), metadata.get("sample_explanation")
    if key is None or markdown is None:
        return None
    return str(key.value), str(markdown.value)


def _specs(engine: str) -> list[dg.AssetSpec]:
    # Splink runs on an in-memory DuckDB in the step whatever the warehouse engine is
    splink_kinds = {"python", "splink", "duckdb", engine}
    return [
        dg.AssetSpec(
            key=dg.AssetKey(table.asset_path),
            group_name=IDENTITY_GROUP,
            kinds={"python", "duckdb", engine} if table == LINEAGE else splink_kinds,
            deps=INPUT_KEYS,
            # the crosswalk is a gold output
            freshness_policy=daily_freshness_policy() if table == CROSSWALK else None,
            description=description,
        )
        for table, description in DESCRIPTIONS.items()
    ]


def _table_metadata(frame: pd.DataFrame, columns: tuple[tuple[str, str], ...]) -> dict[str, object]:
    """Row count and column schema of a written table."""
    return {
        "dagster/row_count": len(frame),
        "dagster/column_schema": dg.TableSchema(
            columns=[dg.TableColumn(name, kind.lower()) for name, kind in columns]
        ),
    }


def _preview(frame: pd.DataFrame) -> str:
    head = frame.head(PREVIEW_ROWS).astype(object).where(frame.head(PREVIEW_ROWS).notna(), "")
    lines = ["| " + " | ".join(head.columns) + " |", "|" + "---|" * len(head.columns)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in head.itertuples(False)]
    return "\n".join(lines)


def _counts_markdown(counts: dict[str, object]) -> str:
    lines = ["| key | count |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in sorted(counts.items())]
    return "\n".join(lines)


def build_identity_assets(
    config: IdentityConfig | None = None, engine: str = "duckdb"
) -> IdentityDefinitions:
    """The identity-resolution multi-asset (crosswalk, explanations, links, ambiguous accounts,
    lineage) and the quality-gate checks on the crosswalk. ``config`` defaults to
    ``IdentityConfig.from_env()``; ``engine`` is the warehouse's (its ``kinds`` tag)."""
    config = config or IdentityConfig.from_env()

    @dg.multi_asset(
        name="identity_resolution",
        specs=_specs(engine),
        required_resource_keys={WAREHOUSE_KEY},
        retry_policy=IDENTITY_RETRY,
    )
    def identity_resolution(
        context: dg.AssetExecutionContext,
    ) -> Iterator[dg.MaterializeResult]:
        from scv_platform.identity.explanations import parameters_markdown, waterfall_markdown
        from scv_platform.identity.resolve import resolve  # Splink loads only when run

        resolved_at = datetime.now(UTC).replace(tzinfo=None)
        warehouse = getattr(context.resources, WAREHOUSE_KEY)
        tables = [(t.schema, t.name) for t in READ_TABLES]
        try:
            with open_gateway(warehouse) as gateway, gateway.duckdb_copy(tables) as con:
                inputs = read_inputs(con)
                previous = read_previous(con)
        except MissingInputError as exc:
            raise dg.Failure(description=str(exc), allow_retries=False) from exc
        result = resolve(inputs, previous, config, resolved_at)
        with open_gateway(warehouse) as gateway:
            gateway.write_frames(
                output_writes(
                    result.crosswalk,
                    result.links,
                    result.explanations,
                    result.lineage,
                    result.ambiguous,
                    result.model.newly_trained,
                )
            )
        for note in result.notes:
            context.log.warning(note)

        stats = result.stats
        model = result.model
        explanation_key, explanation = waterfall_markdown(
            result.explanations, _previous_explanation(context)
        )
        yield dg.MaterializeResult(
            asset_key=dg.AssetKey(CROSSWALK.asset_path),
            metadata={
                **_table_metadata(result.crosswalk, CROSSWALK_COLUMNS),
                "identities": stats["identities"],
                "customers": stats["clusters"],
                "customers_with_several_identities": stats["clusters_with_several_identities"],
                "largest_cluster": stats["largest_cluster"],
                "identities_by_system": dg.MetadataValue.json(stats["identities_by_system"]),
                "identities_by_match_rule": dg.MetadataValue.md(
                    _counts_markdown(stats["members_by_rule"])
                ),
                "links_by_rule_and_status": dg.MetadataValue.md(
                    _counts_markdown(stats["links_by_rule_and_status"])
                ),
                "email_alias": dg.MetadataValue.json(stats["email_alias"]),
                "match_threshold": config.match_threshold,
                "probability_two_random_records_match": model.probability_two_random_records_match,
                "model": model.provenance or "not trained (deterministic rules only)",
                "splink_near_misses": stats["splink_near_misses"],
                "model_parameters": dg.MetadataValue.md(parameters_markdown(model.parameters)),
                "sample_explanation": dg.MetadataValue.md(explanation),
                EXPLANATION_KEY: explanation_key,
                "lineage_changes": stats["lineage_merges"] + stats["lineage_splits"],
                "timings_s": dg.MetadataValue.json(
                    {k: round(v, 2) for k, v in result.timings.items()}
                ),
                "notes": dg.MetadataValue.md("\n".join(f"- {n}" for n in result.notes) or "none"),
                "preview": dg.MetadataValue.md(_preview(result.crosswalk)),
            },
        )
        yield dg.MaterializeResult(
            asset_key=dg.AssetKey(EXPLANATIONS.asset_path),
            metadata={
                "dagster/row_count": len(result.explanations),
                "accepted": int((result.explanations["status"] == "accepted").sum()),
            },
        )
        yield dg.MaterializeResult(
            asset_key=dg.AssetKey(LINKS.asset_path),
            metadata={"dagster/row_count": len(result.links)},
        )
        yield dg.MaterializeResult(
            asset_key=dg.AssetKey(AMBIGUOUS.asset_path),
            metadata={
                **_table_metadata(result.ambiguous, AMBIGUOUS_COLUMNS),
                "by_deciding_rule": dg.MetadataValue.json(
                    result.ambiguous.groupby("deciding_rule").size().to_dict()
                ),
                "preview": dg.MetadataValue.md(_preview(result.ambiguous)),
            },
        )
        yield dg.MaterializeResult(
            asset_key=dg.AssetKey(LINEAGE.asset_path),
            metadata={
                "rows_appended": len(result.lineage),
                "merges": stats["lineage_merges"],
                "splits": stats["lineage_splits"],
                "changes": dg.MetadataValue.md(
                    _preview(result.lineage) if len(result.lineage) else "no change"
                ),
            },
        )

    return IdentityDefinitions([identity_resolution], build_identity_checks(config))
