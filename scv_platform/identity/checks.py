"""Quality gate on the crosswalk: asset checks that block downstream assets when it is wrong.

- ``identity_largest_cluster`` (ERROR, blocking): no customer holds more than
  ``max_cluster_size`` source identities; a bigger cluster means a rule or the model chained
  different people together (a shared e-mail, a household phone).
- ``identity_distinct_crm_contacts`` (ERROR, blocking): a customer holding two or more CRM
  contacts must have deterministic or override evidence (card account, e-mail, phone + last
  name, steward merge) joining those contacts; a probabilistic link alone never merges CRM
  contacts.
- ``identity_resolution_share`` (WARN, ERROR when coverage breaks; not blocking): every
  candidate identity is in the crosswalk exactly once and nothing else is (coverage 100 %),
  and the share of legacy and shop identities linked to at least one other identity is at
  least ``min_linked_share``: those sources exist to be matched to customers, and a share
  far below normal means broken normalisation or a failed model.
"""

from collections.abc import Callable

import dagster as dg
import duckdb
import pandas as pd

from scv_platform.identity.clustering import ACCEPTED, CRM_SYSTEM, REDUNDANT
from scv_platform.identity.config import IdentityConfig
from scv_platform.identity.rules import EVIDENCE_RULES
from scv_platform.identity.tables import CANDIDATES, CROSSWALK, LINKS, table_exists
from scv_platform.quality.history import record_result
from scv_platform.resources.warehouse import WAREHOUSE_KEY
from scv_platform.warehouse.gateway import open_gateway

SAMPLE_SIZE = 10
LINKED_SOURCES = ("legacy", "shop")
CROSSWALK_KEY = dg.AssetKey(CROSSWALK.asset_path)
CHECKED_TABLES = [(t.schema, t.name) for t in (CROSSWALK, LINKS, CANDIDATES)]


def _missing(table_sql: str) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=False,
        severity=dg.AssetCheckSeverity.ERROR,
        description=f"{table_sql} does not exist: materialise gold/customer_crosswalk first.",
    )


def largest_clusters(con: duckdb.DuckDBPyConnection, limit: int) -> pd.DataFrame:
    return con.execute(
        f"""
        SELECT scv_customer_id, count(*) AS identities,
               string_agg(source_system || ':' || source_record_id, ', '
                          ORDER BY source_system, source_record_id) AS members
        FROM {CROSSWALK.sql}
        GROUP BY scv_customer_id
        ORDER BY identities DESC, scv_customer_id
        LIMIT $limit
        """,
        {"limit": limit},
    ).df()


def check_largest_cluster(
    con: duckdb.DuckDBPyConnection, config: IdentityConfig
) -> dg.AssetCheckResult:
    if not table_exists(con, CROSSWALK):
        return _missing(CROSSWALK.sql)
    biggest = largest_clusters(con, SAMPLE_SIZE)
    largest = int(biggest["identities"].max()) if len(biggest) else 0
    too_big = biggest[biggest["identities"] > config.max_cluster_size]
    table = "\n".join(
        ["| scv_customer_id | identities | members |", "|---|---|---|"]
        + [f"| {r.scv_customer_id} | {r.identities} | {r.members} |" for r in biggest.itertuples()]
    )
    passed = too_big.empty
    return dg.AssetCheckResult(
        passed=passed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=(
            f"The largest customer holds {largest} identities (limit {config.max_cluster_size})."
            if passed
            else f"{len(too_big)} customers hold more than {config.max_cluster_size} source "
            f"identities (largest: {largest}). A rule or the model chained different people: "
            "inspect silver.identity_links for these ids, add never_merge rows to the "
            "identity_overrides seed or tighten the shared e-mail / phone limits, then re-run."
        ),
        metadata={
            "largest_cluster": largest,
            "limit": config.max_cluster_size,
            "clusters_over_limit": len(too_big),
            "largest_clusters": dg.MetadataValue.md(table),
        },
    )


def _evidence_components(members: list[str], links: pd.DataFrame) -> dict[str, str]:
    parent = {m: m for m in members}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for left, right in zip(links["unique_id_l"], links["unique_id_r"], strict=True):
        if left in parent and right in parent:
            parent[find(left)] = find(right)
    return {m: find(m) for m in members}


def crm_clusters_without_evidence(con: duckdb.DuckDBPyConnection) -> list[tuple[str, list[str]]]:
    """Customers whose CRM contacts are not all joined by deterministic / override links."""
    members = con.execute(
        f"""
        SELECT scv_customer_id, source_system || '|' || source_record_id AS unique_id,
               source_system = $crm AS is_crm
        FROM {CROSSWALK.sql}
        WHERE scv_customer_id IN (
            SELECT scv_customer_id FROM {CROSSWALK.sql} WHERE source_system = $crm
            GROUP BY scv_customer_id HAVING count(*) > 1
        )
        """,
        {"crm": CRM_SYSTEM},
    ).df()
    if members.empty:
        return []
    evidence = pd.DataFrame(columns=["unique_id_l", "unique_id_r"])
    if table_exists(con, LINKS):
        evidence = con.execute(
            f"""
            SELECT source_system_l || '|' || source_record_id_l AS unique_id_l,
                   source_system_r || '|' || source_record_id_r AS unique_id_r
            FROM {LINKS.sql}
            WHERE list_contains($rules, match_rule) AND list_contains($statuses, status)
            """,
            {"rules": list(EVIDENCE_RULES), "statuses": [ACCEPTED, REDUNDANT]},
        ).df()
    component = _evidence_components(list(members["unique_id"]), evidence)
    failing = []
    for customer, group in members.groupby("scv_customer_id", sort=True):
        contacts = group.loc[group["is_crm"], "unique_id"]
        if len({component[c] for c in contacts}) > 1:
            failing.append((str(customer), sorted(contacts)))
    return failing


def check_distinct_crm_contacts(con: duckdb.DuckDBPyConnection) -> dg.AssetCheckResult:
    if not table_exists(con, CROSSWALK):
        return _missing(CROSSWALK.sql)
    failing = crm_clusters_without_evidence(con)
    sample = "\n".join(f"- {c}: {', '.join(ids)}" for c, ids in failing[:SAMPLE_SIZE])
    return dg.AssetCheckResult(
        passed=not failing,
        severity=dg.AssetCheckSeverity.ERROR,
        description=(
            "Every customer with several CRM contacts has deterministic or override evidence."
            if not failing
            else f"{len(failing)} customers merge different CRM contacts without deterministic "
            "or override evidence. Review them: add a merge row to the identity_overrides seed "
            "if they are one person (or merge them in the CRM), else a never_merge row."
        ),
        metadata={
            "customers_failing": len(failing),
            "sample": dg.MetadataValue.md(sample or "none"),
        },
    )


def resolution_figures(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    row = con.execute(
        f"""
        WITH sizes AS (
            SELECT scv_customer_id, count(*) AS n FROM {CROSSWALK.sql} GROUP BY scv_customer_id
        )
        SELECT
            (SELECT count(*) FROM {CANDIDATES.sql} AS c WHERE NOT EXISTS (
                SELECT 1 FROM {CROSSWALK.sql} AS x
                WHERE x.source_system = c.source_system
                  AND x.source_record_id = c.source_record_id)),
            (SELECT count(*) FROM {CROSSWALK.sql} AS x WHERE NOT EXISTS (
                SELECT 1 FROM {CANDIDATES.sql} AS c
                WHERE x.source_system = c.source_system
                  AND x.source_record_id = c.source_record_id)),
            (SELECT count(*) - count(DISTINCT (source_system, source_record_id))
             FROM {CROSSWALK.sql}),
            (SELECT count(*) FROM {CANDIDATES.sql}),
            (SELECT avg(CASE WHEN s.n > 1 THEN 1.0 ELSE 0.0 END)
             FROM {CROSSWALK.sql} AS x JOIN sizes AS s USING (scv_customer_id)
             WHERE list_contains($sources, x.source_system))
        """,
        {"sources": list(LINKED_SOURCES)},
    ).fetchone()
    assert row is not None
    missing, stale, duplicated, candidates, share = row
    return {
        "candidates": int(candidates),
        "missing_from_crosswalk": int(missing),
        "not_in_candidates": int(stale),
        "duplicated_in_crosswalk": int(duplicated),
        "linked_share_legacy_shop": float(share) if share is not None else 1.0,
    }


def check_resolution_share(
    con: duckdb.DuckDBPyConnection, config: IdentityConfig
) -> dg.AssetCheckResult:
    if not table_exists(con, CROSSWALK):
        return _missing(CROSSWALK.sql)
    if not table_exists(con, CANDIDATES):
        return _missing(CANDIDATES.sql)
    f = resolution_figures(con)
    coverage_ok = not (
        f["missing_from_crosswalk"] or f["not_in_candidates"] or f["duplicated_in_crosswalk"]
    )
    share_ok = f["linked_share_legacy_shop"] >= config.min_linked_share
    problems = []
    if not coverage_ok:
        problems.append(
            f"coverage is broken: {f['missing_from_crosswalk']} candidates are missing from the "
            f"crosswalk, {f['not_in_candidates']} crosswalk rows are no longer candidates and "
            f"{f['duplicated_in_crosswalk']} are duplicated. The crosswalk is stale: "
            "re-materialise gold/customer_crosswalk after the candidates."
        )
    if not share_ok:
        problems.append(
            f"only {f['linked_share_legacy_shop']:.1%} of legacy and shop identities are linked "
            f"to another identity (floor {config.min_linked_share:.0%}): check the e-mail and "
            "phone normalisation in int_identity__candidates and the model metadata."
        )
    return dg.AssetCheckResult(
        passed=coverage_ok and share_ok,
        severity=dg.AssetCheckSeverity.WARN if coverage_ok else dg.AssetCheckSeverity.ERROR,
        description=" ".join(p[0].upper() + p[1:] for p in problems)
        if problems
        else (
            f"All {f['candidates']} candidates resolved once; "
            f"{f['linked_share_legacy_shop']:.1%} of legacy and shop identities linked."
        ),
        metadata={**f, "min_linked_share": config.min_linked_share},
    )


def _asset_check(
    name: str,
    description: str,
    blocking: bool,
    evaluate: Callable[[duckdb.DuckDBPyConnection], dg.AssetCheckResult],
) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=CROSSWALK_KEY,
        name=name,
        description=description,
        blocking=blocking,
        required_resource_keys={WAREHOUSE_KEY},
    )
    def _check(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        warehouse = getattr(context.resources, WAREHOUSE_KEY)
        with open_gateway(warehouse) as gateway:
            with gateway.duckdb_copy(CHECKED_TABLES) as con:
                result = evaluate(con)
            return record_result(gateway, context, result)

    return _check


def build_identity_checks(config: IdentityConfig) -> list[dg.AssetChecksDefinition]:
    """The three quality-gate checks on ``gold/customer_crosswalk``."""
    return [
        _asset_check(
            "identity_largest_cluster",
            f"No customer holds more than {config.max_cluster_size} source identities. Blocking.",
            True,
            lambda con: check_largest_cluster(con, config),
        ),
        _asset_check(
            "identity_distinct_crm_contacts",
            "Customers with several CRM contacts have deterministic or override evidence "
            "joining them. Blocking.",
            True,
            check_distinct_crm_contacts,
        ),
        _asset_check(
            "identity_resolution_share",
            "Every candidate identity is in the crosswalk exactly once, and at least "
            f"{config.min_linked_share:.0%} of legacy and shop identities are linked.",
            False,
            lambda con: check_resolution_share(con, config),
        ),
    ]
