"""The ``email_alias`` rule: attach an identity that has nothing but an e-mail (a web shop
account) to the one customer its address can belong to.

Probabilistic scoring cannot do this: one field never outweighs a prior of one in tens of
thousands. What makes such a link safe is that exactly one cluster of named identities (CRM
contacts, legacy customers) is compatible with the address, counting every cluster that

1. ``user``: holds the same user part at another provider (``jane.doe42@a`` / ``jane.doe42@b``);
2. ``stem``: holds a user part with the same letters (``jane.doe`` / ``janedoe07``); or
3. ``name``: has no e-mail on file at all, and a name that spells the letters (first+last,
   last+first, initial+last, last+initial, or the first name with the birth year as digits).

A customer with no e-mail on file competes: a namesake's alias is not evidence against them.
The strongest tier that finds a cluster decides: the link is made when it finds exactly one
cluster and no customer without an e-mail could own the address (tier 3 finds nobody, or is
itself the deciding tier with one cluster). Otherwise the identity stays alone (ambiguous).
Only identities whose cluster holds no named identity are considered; the link goes to the
smallest member of the chosen cluster found at the deciding tier.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from scv_platform.identity.rules import RECORDS_VIEW, RULE_ALIAS

CLUSTERS_VIEW = "identity_first_pass_clusters"

ALIAS_SQL = f"""
WITH keyed AS (
    SELECT r.*, k.cluster_key
    FROM {RECORDS_VIEW} AS r JOIN {CLUSTERS_VIEW} AS k USING (unique_id)
), named AS (
    SELECT * FROM keyed WHERE last_name IS NOT NULL
), without_email AS (
    SELECT cluster_key FROM named GROUP BY cluster_key HAVING count(email) = 0
), orphans AS (
    SELECT unique_id, email_user, email_stem,
           regexp_extract(email_user, '[0-9]+') AS digits
    FROM keyed
    WHERE first_name IS NULL AND last_name IS NULL AND email_user IS NOT NULL
      AND cluster_key NOT IN (SELECT cluster_key FROM named)
), name_keys AS (
    SELECT n.unique_id, n.cluster_key, t.name_key, NULL AS year_key
    FROM named AS n JOIN without_email USING (cluster_key),
        unnest([n.first_name || n.last_name, n.last_name || n.first_name,
                n.first_name_canonical || n.last_name, left(n.first_name, 1) || n.last_name,
                n.last_name || left(n.first_name, 1)]) AS t(name_key)
    UNION ALL
    SELECT n.unique_id, n.cluster_key, n.first_name, CAST(n.birth_year AS VARCHAR)
    FROM named AS n JOIN without_email USING (cluster_key)
), candidates AS (
    SELECT o.unique_id, n.cluster_key, n.unique_id AS named_id, 1 AS tier
    FROM orphans AS o JOIN named AS n ON n.email_user = o.email_user
    UNION ALL
    SELECT o.unique_id, n.cluster_key, n.unique_id, 2
    FROM orphans AS o JOIN named AS n ON n.email_stem = o.email_stem
    UNION ALL
    SELECT o.unique_id, k.cluster_key, k.unique_id, 3
    FROM orphans AS o JOIN name_keys AS k ON k.name_key = o.email_stem
    WHERE k.year_key IS NULL OR k.year_key = o.digits
)
SELECT unique_id AS orphan_id, tier, count(DISTINCT cluster_key) AS clusters,
       min(named_id) AS named_id
FROM candidates
GROUP BY unique_id, tier
"""

TIER_NAMES = {1: "user", 2: "stem", 3: "name"}


def alias_links(
    con: duckdb.DuckDBPyConnection, cluster_keys: pd.DataFrame
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Links (``unique_id_l`` < ``unique_id_r``, ``match_rule``, ``rules``) for unambiguous
    aliases, and counts of linked / ambiguous identities per tier.

    ``cluster_keys`` (unique_id, cluster_key) is the clustering before this rule.
    """
    con.register(CLUSTERS_VIEW, cluster_keys[["unique_id", "cluster_key"]])
    try:
        found = con.execute(ALIAS_SQL).df()
    finally:
        con.unregister(CLUSTERS_VIEW)
    clusters = found.pivot(index="orphan_id", columns="tier", values="clusters")
    clusters = clusters.reindex(columns=list(TIER_NAMES)).fillna(0).astype(int)
    named = found.pivot(index="orphan_id", columns="tier", values="named_id")
    named = named.reindex(columns=list(TIER_NAMES))
    deciding = np.select([clusters[1] > 0, clusters[2] > 0], [1, 2], 3)
    found_at = clusters.to_numpy()[np.arange(len(clusters)), deciding - 1]
    competitors = np.where(deciding == 3, 0, clusters[3].to_numpy())
    linked = (found_at == 1) & (competitors == 0)
    counts: dict[str, int] = {}
    for tier, name in TIER_NAMES.items():
        counts[f"{name}_linked"] = int((linked & (deciding == tier)).sum())
        counts[f"{name}_ambiguous"] = int((~linked & (deciding == tier)).sum())
    orphan = clusters.index.to_numpy()[linked]
    partner = named.to_numpy()[np.arange(len(named)), deciding - 1][linked]
    tiers = deciding[linked]
    links = pd.DataFrame(
        {
            "unique_id_l": np.minimum(orphan, partner) if len(orphan) else orphan,
            "unique_id_r": np.maximum(orphan, partner) if len(orphan) else orphan,
            "match_rule": RULE_ALIAS,
            "rules": [f"{RULE_ALIAS}:{TIER_NAMES[t]}" for t in tiers],
        }
    )
    return links, counts
