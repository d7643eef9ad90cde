"""Stable ``scv_customer_id`` values across runs, and the lineage of real merges and splits.

Each new cluster is matched to the ids its members held in the previous crosswalk, greedily by
the number of members that held the id (most first; ties: smallest id, then the cluster with
the smallest member key). So an unchanged cluster keeps its id, a merge keeps the id of its
largest former part, and a split leaves the id with its largest part. Every id goes to one
cluster at most. Clusters without a former id get ``SCV-`` + 12 hex digits of a SHA-256 of
their smallest member key, salted when that id was ever issued before (an id is never reused).

Lineage rows record every (former id -> new id) movement of identities: ``split`` when the
former id lives on in another cluster, ``merge`` when it was absorbed.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

import numpy as np
import pandas as pd

ID_PREFIX = "SCV-"
ID_HEX_DIGITS = 12
MERGE = "merge"
SPLIT = "split"


def new_customer_id(member_key: str, taken: set[str]) -> str:
    """A deterministic id for a cluster whose smallest member key is ``member_key``."""
    salt = 0
    while True:
        text = member_key if salt == 0 else f"{member_key}#{salt}"
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:ID_HEX_DIGITS].upper()
        candidate = ID_PREFIX + digest
        if candidate not in taken:
            return candidate
        salt += 1


def _overlap(members: pd.DataFrame, prev: pd.DataFrame) -> pd.DataFrame:
    """(cluster_key, scv_customer_id, n, contested): how many members of each cluster held
    each former id, and whether the cluster or the id is in other rows too."""
    held = pd.Index(prev["unique_id"]).get_indexer(members["unique_id"])
    found = held >= 0
    cluster_codes, cluster_keys = pd.factorize(members["cluster_key"].to_numpy()[found])
    id_codes, old_ids = pd.factorize(prev["scv_customer_id"].to_numpy()[held[found]])
    width = max(len(old_ids), 1)
    pairs, n = np.unique(cluster_codes * width + id_codes, return_counts=True)
    cluster, old = np.divmod(pairs, width)
    contested = (np.bincount(cluster)[cluster] > 1) | (np.bincount(old)[old] > 1)
    return pd.DataFrame(
        {
            "cluster_key": cluster_keys[cluster],
            "scv_customer_id": old_ids[old],
            "n": n.astype(np.int64),
            "contested": contested,
        }
    )


def assign_ids(
    members: pd.DataFrame,
    previous: pd.DataFrame,
    issued_ids: set[str],
    changed_at: datetime,
) -> tuple[pd.Series, pd.DataFrame]:
    """Ids for ``members`` (unique_id, cluster_key) given ``previous`` (unique_id,
    scv_customer_id). Returns the id per member (aligned to ``members``) and lineage rows."""
    prev = previous[["unique_id", "scv_customer_id"]].dropna().drop_duplicates("unique_id")
    overlap = _overlap(members, prev)
    # A cluster that alone holds members of a former id, and holds no other, keeps it
    # whatever the order; only the others need the greedy pass in order.
    kept = overlap[~overlap["contested"]]
    chosen = dict(zip(kept["cluster_key"], kept["scv_customer_id"], strict=True))
    used = set(kept["scv_customer_id"])
    contested = overlap[overlap["contested"]].sort_values(
        ["n", "scv_customer_id", "cluster_key"], ascending=[False, True, True]
    )
    for cluster_key, old_id in zip(
        contested["cluster_key"], contested["scv_customer_id"], strict=True
    ):
        if cluster_key not in chosen and old_id not in used:
            chosen[cluster_key] = old_id
            used.add(old_id)
    codes, clusters = pd.factorize(members["cluster_key"])
    taken = set(issued_ids) | used
    for cluster_key in sorted(set(clusters) - chosen.keys()):
        new_id = new_customer_id(cluster_key, taken)
        chosen[cluster_key] = new_id
        taken.add(new_id)
    # mapped per distinct cluster key
    ids = pd.Series(codes, index=members.index, name="cluster_key").map(
        pd.Series([chosen[k] for k in clusters], dtype=object)
    )

    moved = contested.assign(new_id=contested["cluster_key"].map(chosen))  # others kept theirs
    moved = moved[moved["scv_customer_id"] != moved["new_id"]]
    former = prev["scv_customer_id"]
    former_size = former[former.isin(moved["scv_customer_id"])].value_counts(sort=False)
    lineage = pd.DataFrame(
        {
            "old_scv_customer_id": moved["scv_customer_id"],
            "new_scv_customer_id": moved["new_id"],
            "change_type": [SPLIT if old in used else MERGE for old in moved["scv_customer_id"]],
            "identities_moved": moved["n"].astype("int64"),
        }
    )
    totals = lineage["old_scv_customer_id"].map(former_size)
    lineage["reason"] = [
        f"{n} of {total} identities of {old} "
        + ("split off into" if kind == SPLIT else "merged into")
        + f" {new}"
        for n, total, old, new, kind in zip(
            lineage["identities_moved"],
            totals,
            lineage["old_scv_customer_id"],
            lineage["new_scv_customer_id"],
            lineage["change_type"],
            strict=True,
        )
    ]
    lineage["changed_at"] = changed_at
    lineage = lineage.sort_values(["old_scv_customer_id", "new_scv_customer_id"])
    return ids, lineage.reset_index(drop=True)
