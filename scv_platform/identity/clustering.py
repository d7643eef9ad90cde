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
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

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


# link statuses as small codes while clustering
_STATUSES = np.array([ACCEPTED, REDUNDANT, REJECTED_NEVER_MERGE, REJECTED_CRM], dtype=object)
_ACCEPTED, _REDUNDANT, _NEVER_MERGE, _CRM = range(4)


def components(ids: pd.Index, left: pd.Series, right: pd.Series) -> np.ndarray:
    """A component label per id of ``ids`` over the links ``left``-``right`` (no constraints)."""
    a, b = ids.get_indexer(left), ids.get_indexer(right)
    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(len(ids), len(ids)))
    return connected_components(graph, directed=False)[1]


def sort_positions(ids: np.ndarray) -> np.ndarray:
    """The position of each id in sorted order: string order as integers."""
    positions = np.empty(len(ids), dtype=np.int64)
    positions[np.argsort(ids, kind="stable")] = np.arange(len(ids))
    return positions


class _UnionFind:
    """Clusters of the nodes 0..n-1, with the constraints of the module docstring."""

    def __init__(self, is_crm: list[bool], never_merge: list[tuple[int, int]]) -> None:
        self.parent = list(range(len(is_crm)))
        self.size = [1] * len(is_crm)
        self.crm = list(is_crm)  # the cluster (of a root) holds a CRM contact
        self.forbid: dict[int, set[int]] = {}  # root -> the never_merge partners of its members
        for a, b in never_merge:
            self.forbid.setdefault(a, set()).add(b)
            self.forbid.setdefault(b, set()).add(a)

    def find(self, x: int) -> int:
        parent = self.parent
        while parent[x] != x:
            parent[x] = x = parent[parent[x]]  # path halving
        return x

    def forbidden(self, ra: int, rb: int) -> bool:
        partners, other = self.forbid.get(ra, ()), rb  # look through the smaller set
        if len(self.forbid.get(rb, ())) < len(partners):
            partners, other = self.forbid.get(rb, ()), ra
        return any(self.find(p) == other for p in partners)

    def take(self, left: list[int], right: list[int], probabilistic: list[bool]) -> np.ndarray:
        """Take the links in the given order: the status code of each."""
        find, forbid, crm, size, parent = self.find, self.forbid, self.crm, self.size, self.parent
        status = np.empty(len(left), dtype=np.int8)
        for i, (a, b, prob) in enumerate(zip(left, right, probabilistic, strict=True)):
            ra, rb = find(a), find(b)
            if ra == rb:
                status[i] = _REDUNDANT
            elif forbid and self.forbidden(ra, rb):
                status[i] = _NEVER_MERGE
            elif prob and crm[ra] and crm[rb]:
                status[i] = _CRM
            else:
                if size[ra] < size[rb]:
                    ra, rb = rb, ra
                parent[rb] = ra
                size[ra] += size[rb]
                crm[ra] = crm[ra] or crm[rb]
                if rb in forbid:
                    forbid.setdefault(ra, set()).update(forbid.pop(rb))
                status[i] = _ACCEPTED
        return status

    def roots(self) -> np.ndarray:
        """The root of every node (pointer jumping over the parent array)."""
        parent = np.array(self.parent, dtype=np.int64)
        while not np.array_equal(grand := parent[parent], parent):
            parent = grand
        return parent


def _best_links(
    nodes: int,
    rows: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    rank: np.ndarray,
    p: np.ndarray,
) -> np.ndarray:
    """Per node, the row of the strongest link among ``rows`` it is an end of: the lowest
    rank, then the highest probability, then the first (left ends before right ends); -1 for
    a node without any."""
    ends = np.concatenate([left[rows], right[rows]])
    rows = np.tile(rows, 2)
    order = np.lexsort((-p[rows], rank[rows], ends))  # stable: the first wins ties
    ends, rows = ends[order], rows[order]
    first = np.ones(len(ends), dtype=bool)
    first[1:] = ends[1:] != ends[:-1]
    best = np.full(nodes, -1, dtype=np.int64)
    best[ends[first]] = rows[first]
    return best


class Clustering:
    """Clusters of ``records`` (unique_id, source_system) honouring ``never_merge`` pairs,
    built link by link: :meth:`add` takes more links, with the same result as if all links
    added so far had been given to :func:`cluster` at once.

    Links weaker than all those taken before (the ``email_alias`` rule, ranked last, after a
    first pass) are taken on top of the current clusters; others make it start over."""

    def __init__(self, records: pd.DataFrame, never_merge: list[tuple[str, str]]) -> None:
        self._ids = records["unique_id"].to_numpy()
        self._index = pd.Index(self._ids)
        self._position = sort_positions(self._ids)
        self._is_crm = (records["source_system"] == CRM_SYSTEM).tolist()
        self._never_merge = [
            (self._index.get_loc(a), self._index.get_loc(b)) for a, b in never_merge
        ]
        self._reset()

    def _reset(self) -> None:
        self._uf = _UnionFind(self._is_crm, self._never_merge)
        self._given: list[pd.DataFrame] = []  # the links as given to add()
        self._taken: list[pd.DataFrame] = []  # the same in the order taken
        # per link taken: node numbers, rank, probability (NaN: 1) and status code
        self._left = self._right = np.zeros(0, dtype=np.intp)
        self._rank, self._p = np.zeros(0), np.zeros(0)
        self._status = np.zeros(0, dtype=np.int8)

    def add(self, links: pd.DataFrame) -> Clusters:
        """Take ``links`` (unique_id_l, unique_id_r, match_rule, match_probability)."""
        rank = links["match_rule"].map(RULE_RANK).to_numpy(dtype=float)  # unknown rules last
        weakest_taken = np.nan_to_num(self._rank, nan=np.inf).max(initial=-np.inf)
        if weakest_taken >= np.nan_to_num(rank, nan=np.inf).min(initial=np.inf):
            given = pd.concat([*self._given, links], ignore_index=True)  # they interleave
            self._reset()
            return self.add(given)
        p = links["match_probability"].astype(float).fillna(1.0).to_numpy()
        left = self._index.get_indexer(links["unique_id_l"])
        right = self._index.get_indexer(links["unique_id_r"])
        # strongest first: rank, probability (descending), then the ids in string order
        order = np.lexsort((self._position[right], self._position[left], -p, rank))
        taken = links.iloc[order]
        status = self._uf.take(
            left[order].tolist(),
            right[order].tolist(),
            (taken["match_rule"] == RULE_SPLINK).tolist(),
        )
        self._given.append(links)
        self._taken.append(taken)
        self._left = np.concatenate([self._left, left[order]])
        self._right = np.concatenate([self._right, right[order]])
        self._rank = np.concatenate([self._rank, rank[order]])
        self._p = np.concatenate([self._p, p[order]])
        self._status = np.concatenate([self._status, status])
        return self._clusters()

    def _clusters(self) -> Clusters:
        ids, position = self._ids, self._position
        taken = pd.concat(self._taken, ignore_index=True)
        # cluster key: the smallest member id (stable, readable)
        roots = self._uf.roots()
        smallest = np.full(len(ids), len(ids), dtype=np.int64)
        np.minimum.at(smallest, roots, position)
        by_position = np.empty(len(ids), dtype=object)
        by_position[position] = ids
        keys = pd.Series(smallest[roots]).map(pd.Series(by_position))
        members = pd.DataFrame({"unique_id": ids, "cluster_key": keys})
        # each member's strongest link in its cluster tells how it joined (-1: none, NaN)
        in_cluster = np.flatnonzero(self._status <= _REDUNDANT)
        best = _best_links(len(ids), in_cluster, self._left, self._right, self._rank, self._p)
        best = pd.Series(best)
        members["match_rule"] = best.map(taken["match_rule"]).fillna(RULE_SINGLETON)
        members["match_probability"] = best.map(taken["match_probability"])
        members.loc[members["match_rule"] != RULE_SPLINK, "match_probability"] = np.nan
        return Clusters(members, taken.assign(status=_STATUSES[self._status]))


def cluster(
    records: pd.DataFrame, links: pd.DataFrame, never_merge: list[tuple[str, str]]
) -> Clusters:
    """Cluster ``records`` (unique_id, source_system) over ``links`` (unique_id_l,
    unique_id_r, match_rule, match_probability) honouring ``never_merge`` pairs."""
    return Clustering(records, never_merge).add(links)
