"""The ``email_alias`` rule: attach an identity that has nothing but an e-mail (a web shop
account) to the one customer its address can belong to.

Probabilistic scoring cannot do this: one field never outweighs a prior of one in tens of
thousands. What makes such a link safe is that exactly one cluster of named identities (CRM
contacts, legacy customers) is compatible with the address. A user part is read as a
*handle*: letters (usually made of the name), separators, and maybe a number. People reuse
their handle at another provider, sometimes with a short counter appended when it is taken
(``jane.doe`` -> ``jane.doe7``); a namesake makes their own handle. So, for a named identity
whose user part has the same letters, the candidate tiers are, strongest first:

1. ``handle``: the same handle (equal, or one is the other plus a counter of at most two
   digits) and the shared part holds a number that is not a year (``sbrown.39984@a`` /
   ``sbrown.39984@b``, ``mbrown.29361`` / ``mbrown.2936148``). The number is what namesakes do
   not share, so this tier decides on its own.
2. ``user``: the same handle without such a number (``elizabeth.smith``, ``hannah1978``: a
   year is shared by every namesake born that year).
3. ``counter``: one is the other plus a counter (``elizabeth.smith`` / ``elizabeth.smith21``).
4. ``name``: a customer with no e-mail on file at all whose name spells the letters
   (first+last, last+first, initial+last, last+initial, or the first name with the birth year
   as digits). A name explains no number but a counter: ``jane.doe4821`` is a handle of its
   own (a guest checkout, a namesake), not evidence for every Jane Doe without an e-mail.

Same letters with *other* numbers (``jane.doe12`` / ``jane.doe34``, or ``jane.doe`` /
``jane.doe4821``) or other separators (``jane.doe`` / ``jane_doe``) are two handles, so two
people's (namesakes choose their separators and numbers independently): no candidate at
the e-mail tiers.

The strongest tier that finds a cluster decides, and the link is made when it finds exactly
one cluster. At tiers 2 and 3 a customer without an e-mail whose name spells the address
(tier 4) competes: a namesake's alias is not evidence against them, so any such customer
leaves the identity alone (ambiguous). Ambiguous identities are reported with their candidate
clusters (for a steward to settle with an override); an identity no tier finds is an account
nobody on record is known to own. Only identities whose cluster holds no named identity
are considered; the link goes to the smallest member of the chosen cluster found at the
deciding tier.

A customer has one account in an account system such as the web shop (duplicates are the
CRM's and the legacy system's business, not the shop's): a cluster that already holds an
identity of the orphan's source system is no candidate and no competitor for it. The rule runs
in rounds (at most ``MAX_ROUNDS``, until a round links nothing): a cluster that received an
account in one round holds one in the next, which can settle an account that was ambiguous
between it and another namesake.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from scv_platform.identity.rules import RECORDS_VIEW, RULE_ALIAS

CLUSTERS_VIEW = "identity_first_pass_clusters"

# How an orphan's user part ``o`` relates to a named identity's ``n`` whose letters agree.
_SHORTER = (
    "(CASE WHEN length(o.email_user) <= length(n.email_user) "
    "THEN o.email_user ELSE n.email_user END)"
)
_COUNTER = """((starts_with(o.email_user, n.email_user)
        AND regexp_full_match(substr(o.email_user, length(n.email_user) + 1), '[0-9]{1,2}'))
    OR (starts_with(n.email_user, o.email_user)
        AND regexp_full_match(substr(n.email_user, length(o.email_user) + 1), '[0-9]{1,2}')))"""
_NUMBER = f"regexp_replace({_SHORTER}, '[^0-9]', '', 'g')"
# a number that reads as a year is shared by every namesake born that year: not a tag
_TAGGED = f"({_NUMBER} <> '' AND NOT regexp_full_match({_NUMBER}, '(19|20)[0-9]{{2}}'))"
MAX_COUNTER_DIGITS = 2
TIER_HANDLE, TIER_EXACT, TIER_COUNTER, TIER_NAME = 1, 2, 3, 4
TIER_NAMES = {TIER_HANDLE: "handle", TIER_EXACT: "user", TIER_COUNTER: "counter", TIER_NAME: "name"}

# The rule runs in rounds, and what a round sees changes little: named identities keep their
# clusters (only orphan clusters move, into named ones), so which clusters an orphan's
# address can stand for, at which tier, is found once (FOUND_SQL, over the first clusters).
# A round (ROUND_SQL) keeps the orphans still without a named identity in their cluster and
# drops the clusters that hold an account of the orphan's system by now.
CLUSTERS_TABLE = "identity_alias_clusters"  # unique_id, cluster_key, source_system
FOUND_TABLE = "identity_alias_found"  # orphan (unique_id), cluster_key, named_id, tier
NAMED_TABLE = "identity_alias_named_clusters"  # the clusters that hold a named identity

FOUND_SQL = f"""
WITH keyed AS (
    SELECT r.*, k.cluster_key
    FROM {RECORDS_VIEW} AS r JOIN {CLUSTERS_TABLE} AS k USING (unique_id)
), named AS (
    SELECT * FROM keyed WHERE last_name IS NOT NULL
), without_email AS (
    SELECT cluster_key FROM named GROUP BY cluster_key HAVING count(email) = 0
), orphans AS (
    SELECT unique_id, source_system, email_user, email_stem,
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
), same_letters AS (
    SELECT o.unique_id, n.cluster_key, n.unique_id AS named_id,
           CASE WHEN (o.email_user = n.email_user OR {_COUNTER}) AND {_TAGGED}
                    THEN {TIER_HANDLE}
                WHEN o.email_user = n.email_user THEN {TIER_EXACT}
                WHEN {_COUNTER} THEN {TIER_COUNTER} END AS tier
    FROM orphans AS o JOIN named AS n ON n.email_stem = o.email_stem
)
SELECT unique_id, cluster_key, named_id, tier FROM same_letters WHERE tier IS NOT NULL
UNION ALL
SELECT o.unique_id, k.cluster_key, k.unique_id, {TIER_NAME}
FROM orphans AS o JOIN name_keys AS k ON k.name_key = o.email_stem
-- a name explains no number but a counter; the first name, the birth year
WHERE (k.year_key IS NULL AND length(o.digits) <= {MAX_COUNTER_DIGITS})
   OR k.year_key = o.digits
"""

NAMED_SQL = f"""
SELECT DISTINCT k.cluster_key
FROM {RECORDS_VIEW} AS r JOIN {CLUSTERS_TABLE} AS k USING (unique_id)
WHERE r.last_name IS NOT NULL
"""

ROUND_SQL = f"""
WITH orphans AS (
    SELECT unique_id, source_system FROM {CLUSTERS_TABLE}
    WHERE unique_id IN (SELECT unique_id FROM {FOUND_TABLE})
      AND cluster_key NOT IN (SELECT cluster_key FROM {NAMED_TABLE})
), holdings AS (  -- the systems each cluster already has an account in
    SELECT DISTINCT cluster_key, source_system FROM {CLUSTERS_TABLE}
), candidates AS (
    SELECT f.unique_id, f.tier, f.cluster_key, min(f.named_id) AS named_id
    FROM {FOUND_TABLE} AS f JOIN orphans AS o USING (unique_id)
    WHERE NOT EXISTS (SELECT 1 FROM holdings AS h
                      WHERE h.cluster_key = f.cluster_key AND h.source_system = o.source_system)
    GROUP BY ALL
)
SELECT unique_id AS orphan_id, tier, count(*) AS clusters, min(named_id) AS named_id,
       list(named_id ORDER BY named_id) AS candidate_ids
FROM candidates
GROUP BY unique_id, tier
"""


MAX_ROUNDS = 5
"""Rounds of the rule: a cluster that received an account in one round is no longer a
candidate for another account of that system in the next, which settles some ambiguities."""


@dataclass(frozen=True)
class AliasOutcome:
    """What the rule did: links for the unambiguous aliases, counts per deciding tier, and
    the identities left alone although some tier found candidates."""

    links: pd.DataFrame  # unique_id_l < unique_id_r, match_rule, rules
    counts: dict[str, int]  # <tier>_linked, <tier>_ambiguous
    ambiguous: pd.DataFrame  # orphan_id, tier, clusters, candidate_ids (one id per cluster)


def _decide(found: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(orphan_id, named_id, tier) of the orphans linked, and for every orphan found its
    deciding tier, the clusters found there and one member of each (index orphan_id)."""
    clusters = found.pivot(index="orphan_id", columns="tier", values="clusters")
    clusters = clusters.reindex(columns=list(TIER_NAMES)).fillna(0).astype(int)
    named = found.pivot(index="orphan_id", columns="tier", values="named_id")
    named = named.reindex(columns=list(TIER_NAMES))
    tiers = clusters.columns.to_numpy()
    deciding = tiers[np.argmax(clusters.to_numpy() > 0, axis=1)]  # strongest tier with a find
    rows = np.arange(len(clusters))
    found_at = clusters.to_numpy()[rows, deciding - 1]
    # a tagged handle or the name decides alone; namesakes without an e-mail compete otherwise
    alone = (deciding == TIER_HANDLE) | (deciding == TIER_NAME)
    competitors = np.where(alone, 0, clusters[TIER_NAME].to_numpy())
    linked = (found_at == 1) & (competitors == 0)
    chosen = pd.DataFrame(
        {
            "orphan_id": clusters.index.to_numpy()[linked],
            "named_id": named.to_numpy()[rows, deciding - 1][linked],
            "tier": deciding[linked],
        }
    )
    at_deciding = found.set_index(["orphan_id", "tier"])["candidate_ids"].reindex(
        pd.MultiIndex.from_arrays([clusters.index, deciding])
    )
    by_name = found[found["tier"] == TIER_NAME].set_index("orphan_id")["candidate_ids"]
    candidates = [
        sorted({*ids, *by_name[orphan]}) if extra else list(ids)
        for ids, extra, orphan in zip(at_deciding, competitors, clusters.index, strict=True)
    ]
    decided = pd.DataFrame(
        {
            "tier": deciding,
            "clusters": found_at + competitors,  # a customer without an e-mail is no tier 1-3 find
            "candidate_ids": candidates,
            "linked": linked,
        },
        index=clusters.index,
    )
    return chosen, decided


def _prepare_rounds(con: duckdb.DuckDBPyConnection, keys: pd.Series) -> None:
    """The first clusters (with each identity's system) and what FOUND_SQL finds in them."""
    con.register(CLUSTERS_VIEW, keys.rename_axis("unique_id").reset_index())
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {CLUSTERS_TABLE} AS "
            "SELECT k.unique_id, k.cluster_key, r.source_system "
            f"FROM {CLUSTERS_VIEW} AS k JOIN {RECORDS_VIEW} AS r USING (unique_id)"
        )
    finally:
        con.unregister(CLUSTERS_VIEW)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {FOUND_TABLE} AS {FOUND_SQL}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {NAMED_TABLE} AS {NAMED_SQL}")


def _move_clusters(con: duckdb.DuckDBPyConnection, target: dict[str, str]) -> None:
    """Give the identities of each cluster key in ``target`` the key it maps to."""
    moves = pd.DataFrame({"moved": list(target), "target": list(target.values())}, dtype=object)
    con.register("_identity_alias_moves", moves)
    try:
        con.execute(
            f"UPDATE {CLUSTERS_TABLE} SET cluster_key = m.target FROM _identity_alias_moves AS m "
            f"WHERE {CLUSTERS_TABLE}.cluster_key = m.moved"
        )
    finally:
        con.unregister("_identity_alias_moves")


def alias_links(con: duckdb.DuckDBPyConnection, cluster_keys: pd.DataFrame) -> AliasOutcome:
    """Links for unambiguous aliases, counts of linked identities per deciding tier and of
    those left ambiguous, and the ambiguous identities with their candidates.

    ``cluster_keys`` (unique_id, cluster_key) is the clustering before this rule.
    """
    keys = cluster_keys.set_index("unique_id")["cluster_key"].copy()
    chosen: list[pd.DataFrame] = []
    decided = pd.DataFrame({"tier": [], "clusters": [], "candidate_ids": [], "linked": []})
    _prepare_rounds(con, keys)
    try:
        for _ in range(MAX_ROUNDS):
            linked, decided = _decide(con.execute(ROUND_SQL).df())
            if linked.empty:
                break
            chosen.append(linked)
            # the orphan's cluster joins its partner's: that cluster now holds an account too
            moved = keys.reindex(linked["orphan_id"]).to_numpy()
            target = dict(zip(moved, keys.reindex(linked["named_id"]).to_numpy(), strict=True))
            keys = keys.map(target).fillna(keys)
            _move_clusters(con, target)
    finally:
        for table in (CLUSTERS_TABLE, FOUND_TABLE, NAMED_TABLE):
            con.execute(f"DROP TABLE IF EXISTS {table}")
    done = (
        pd.concat(chosen, ignore_index=True)
        if chosen
        else pd.DataFrame({"orphan_id": [], "named_id": [], "tier": []})
    )
    left = decided[~decided["linked"].astype(bool)]  # after the last round
    counts: dict[str, int] = {}
    for tier, name in TIER_NAMES.items():
        counts[f"{name}_linked"] = int((done["tier"] == tier).sum())
        counts[f"{name}_ambiguous"] = int((left["tier"] == tier).sum())
    orphan, partner = done["orphan_id"].to_numpy(), done["named_id"].to_numpy()
    links = pd.DataFrame(
        {
            "unique_id_l": np.minimum(orphan, partner) if len(orphan) else orphan,
            "unique_id_r": np.maximum(orphan, partner) if len(orphan) else orphan,
            "match_rule": RULE_ALIAS,
            "rules": [f"{RULE_ALIAS}:{TIER_NAMES[t]}" for t in done["tier"]],
        }
    )
    ambiguous = left.drop(columns="linked").rename_axis("orphan_id").reset_index()
    return AliasOutcome(links, counts, ambiguous)
