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


def assign_ids(
    members: pd.DataFrame,
    previous: pd.DataFrame,
    issued_ids: set[str],
    changed_at: datetime,
) -> tuple[pd.Series, pd.DataFrame]:
    """Ids for ``members`` (unique_id, cluster_key) given ``previous`` (unique_id,
    scv_customer_id). Returns the id per member (aligned to ``members``) and lineage rows."""
    prev = previous[["unique_id", "scv_customer_id"]].dropna().drop_duplicates("unique_id")
    overlap = (
        members[["unique_id", "cluster_key"]]
        .merge(prev, on="unique_id", how="inner")
        .groupby(["cluster_key", "scv_customer_id"])
        .size()
        .rename("n")
        .reset_index()
        .sort_values(["n", "scv_customer_id", "cluster_key"], ascending=[False, True, True])
    )
    chosen: dict[str, str] = {}
    used: set[str] = set()
    for cluster_key, old_id in zip(overlap["cluster_key"], overlap["scv_customer_id"], strict=True):
        if cluster_key not in chosen and old_id not in used:
            chosen[cluster_key] = old_id
            used.add(old_id)
    taken = set(issued_ids) | used
    for cluster_key in sorted(set(members["cluster_key"]) - set(chosen)):
        new_id = new_customer_id(cluster_key, taken)
        chosen[cluster_key] = new_id
        taken.add(new_id)
    ids = members["cluster_key"].map(chosen)

    moved = overlap.assign(new_id=overlap["cluster_key"].map(chosen))
    moved = moved[moved["scv_customer_id"] != moved["new_id"]]
    former_size = prev.groupby("scv_customer_id").size()
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
