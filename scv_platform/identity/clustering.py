"""Clusters from links: union-find in the order of evidence strength, with constraints.

Links are taken strongest first: overrides (merge), card accounts, e-mails, phone + last name,
then Splink links by descending probability. A link is rejected when it would put into one
cluster

- two identities a steward marked ``never_merge`` (whatever the link), or
- two different CRM contacts through a Splink link only: the CRM is the mastered system,
  so two of its contacts are only merged on deterministic or override evidence.

Taking links in this order means that when a forbidden connection would form, the weakest
probabilistic link on the path is the one cut (a maximum spanning forest under constraints).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from scv_platform.identity.rules import RULE_RANK, RULE_SINGLETON, RULE_SPLINK

ACCEPTED = "accepted"
REDUNDANT = "redundant"  # both already in the same cluster
REJECTED_NEVER_MERGE = "rejected_never_merge"
REJECTED_CRM = "rejected_distinct_crm_contacts"
CRM_SYSTEM = "d365"


@dataclass
class Clusters:
    members: pd.DataFrame  # unique_id, cluster_key, match_rule, match_probability
    links: pd.DataFrame  # unique_id_l, unique_id_r, match_rule, match_probability, status


class _UnionFind:
    def __init__(self, n: int, is_crm: np.ndarray) -> None:
        self.parent = list(range(n))
        self.size = [1] * n
        self.crm = [int(x) for x in is_crm]
        self.forbid: dict[int, set[int]] = {}

    def find(self, x: int) -> int:
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def forbidden(self, ra: int, rb: int) -> bool:
        small, other = (
            (ra, rb) if len(self.forbid.get(ra, ())) <= len(self.forbid.get(rb, ())) else (rb, ra)
        )
        return any(self.find(p) == other for p in self.forbid.get(small, ()))

    def union(self, ra: int, rb: int) -> None:
        if self.size[ra] < self.size[rb]:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]
        self.crm[ra] += self.crm[rb]
        if rb in self.forbid:
            self.forbid.setdefault(ra, set()).update(self.forbid.pop(rb))


def cluster(
    records: pd.DataFrame, links: pd.DataFrame, never_merge: list[tuple[str, str]]
) -> Clusters:
    """Cluster ``records`` (unique_id, source_system) over ``links`` (unique_id_l,
    unique_id_r, match_rule, match_probability) honouring ``never_merge`` pairs."""
    ids = records["unique_id"].to_numpy()
    index = pd.Index(ids)
    uf = _UnionFind(len(ids), (records["source_system"] == CRM_SYSTEM).to_numpy())
    for a, b in never_merge:
        ia, ib = index.get_loc(a), index.get_loc(b)
        uf.forbid.setdefault(ia, set()).add(ib)
        uf.forbid.setdefault(ib, set()).add(ia)

    ordered = links.assign(
        _rank=links["match_rule"].map(RULE_RANK),
        _p=links["match_probability"].astype(float).fillna(1.0),
    ).sort_values(
        ["_rank", "_p", "unique_id_l", "unique_id_r"], ascending=[True, False, True, True]
    )
    left = index.get_indexer(ordered["unique_id_l"])
    right = index.get_indexer(ordered["unique_id_r"])
    probabilistic = (ordered["match_rule"] == RULE_SPLINK).to_numpy()
    status = np.empty(len(ordered), dtype=object)
    for i, (a, b, prob) in enumerate(zip(left, right, probabilistic, strict=True)):
        ra, rb = uf.find(a), uf.find(b)
        if ra == rb:
            status[i] = REDUNDANT
        elif uf.forbidden(ra, rb):
            status[i] = REJECTED_NEVER_MERGE
        elif prob and uf.crm[ra] and uf.crm[rb]:
            status[i] = REJECTED_CRM
        else:
            uf.union(ra, rb)
            status[i] = ACCEPTED
    roots = np.array([uf.find(i) for i in range(len(ids))], dtype=np.int64)
    ordered = ordered.assign(status=status)

    # cluster key: the smallest member id (stable, readable)
    members = pd.DataFrame({"unique_id": ids, "_root": roots})
    smallest = members.sort_values("unique_id").drop_duplicates("_root")
    members["cluster_key"] = members["_root"].map(smallest.set_index("_root")["unique_id"])
    in_cluster = ordered[ordered["status"].isin([ACCEPTED, REDUNDANT])]
    ends = pd.concat(
        [
            in_cluster[["unique_id_l", "match_rule", "match_probability", "_rank", "_p"]].rename(
                columns={"unique_id_l": "unique_id"}
            ),
            in_cluster[["unique_id_r", "match_rule", "match_probability", "_rank", "_p"]].rename(
                columns={"unique_id_r": "unique_id"}
            ),
        ]
    )
    best = (
        ends.sort_values(["unique_id", "_rank", "_p"], ascending=[True, True, False])
        .drop_duplicates("unique_id")
        .set_index("unique_id")
    )
    members["match_rule"] = members["unique_id"].map(best["match_rule"]).fillna(RULE_SINGLETON)
    members["match_probability"] = members["unique_id"].map(best["match_probability"])
    members.loc[members["match_rule"] != RULE_SPLINK, "match_probability"] = np.nan
    out_links = ordered.drop(columns=["_rank", "_p"]).reset_index(drop=True)
    return Clusters(members.drop(columns="_root"), out_links)
