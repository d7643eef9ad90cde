"""Identity resolution end to end, without Dagster: inputs in, crosswalk and friends out."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from datetime import datetime

import duckdb
import numpy as np
import pandas as pd
from pandas.api.extensions import take

from scv_platform.identity.aliases import TIER_NAMES, alias_links
from scv_platform.identity.clustering import (
    ACCEPTED,
    REDUNDANT,
    Clustering,
    Clusters,
    components,
    sort_positions,
)
from scv_platform.identity.config import IdentityConfig
from scv_platform.identity.features import prepare_records
from scv_platform.identity.model import ModelResult, train_and_predict
from scv_platform.identity.overrides import Overrides, parse_overrides
from scv_platform.identity.rules import (
    RECORDS_VIEW,
    RULE_ALIAS,
    RULE_SPLINK,
    card_holders,
    deterministic_links,
)
from scv_platform.identity.stable_ids import assign_ids
from scv_platform.identity.tables import (
    CANDIDATE_COLUMNS,
    CROSSWALK_COLUMNS,
    IdentityInputs,
    PreviousState,
    identity_keys,
)


@dataclass
class Resolution:
    crosswalk: pd.DataFrame
    links: pd.DataFrame
    explanations: pd.DataFrame
    lineage: pd.DataFrame
    ambiguous: pd.DataFrame  # e-mail-only identities several customers could own
    model: ModelResult
    stats: dict[str, object]
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


class DuplicateIdentityError(ValueError):
    """The candidates hold the same (source_system, source_record_id) twice."""


def _source_keys(records: pd.DataFrame, by_id: pd.Index, ids: pd.Series) -> dict[str, np.ndarray]:
    """The source_system and source_record_id of ``ids`` (NaN for an unknown id, as reindex
    gives); ``by_id`` is the index of ``records["unique_id"]``."""
    rows = by_id.get_indexer(ids)
    return {
        name: take(records[name].to_numpy(), rows, allow_fill=True)
        for name in ("source_system", "source_record_id")
    }


def _split_keys(frame: pd.DataFrame, records: pd.DataFrame, by_id: pd.Index) -> pd.DataFrame:
    """``frame`` with the source system and record id of ``unique_id_l`` and ``unique_id_r``."""
    columns = {}
    for side in ("l", "r"):
        keys = _source_keys(records, by_id, frame[f"unique_id_{side}"])
        columns |= {f"{name}_{side}": values for name, values in keys.items()}
    return frame.assign(**columns)


def _by_source_keys(members: pd.DataFrame) -> np.ndarray:
    """The order of ``members`` by (source_system, source_record_id). Within one system the
    unique ids (``<system>|<record id>``) sort as the record ids do, and sorting them once is
    cheaper than sorting the pair of columns."""
    system = pd.factorize(members["source_system"], sort=True)[0]
    return np.lexsort((sort_positions(members["unique_id"].to_numpy()), system))


def _remaining_pairs(
    predictions: pd.DataFrame, evidence: pd.DataFrame, nodes: pd.DataFrame, threshold: float
) -> pd.DataFrame:
    """Splink pairs at or above the threshold whose identities the deterministic rules and
    merge overrides have not already put together (directly or through others)."""
    linked = predictions[predictions["match_probability"] >= threshold]
    if linked.empty or evidence.empty:
        return linked
    ids = pd.Index(nodes["unique_id"])
    label = components(ids, evidence["unique_id_l"], evidence["unique_id_r"])
    left, right = ids.get_indexer(linked["unique_id_l"]), ids.get_indexer(linked["unique_id_r"])
    same = (left >= 0) & (right >= 0) & (label[left] == label[right])
    return linked[~same]


def _checked_records(candidates: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """All candidate columns (missing optional ones as NULL) and the prepared records."""
    missing = {"source_system", "source_record_id"} - set(candidates.columns)
    if missing:
        raise ValueError(f"the candidates lack the key columns {sorted(missing)}")
    candidates = candidates.reindex(columns=list(CANDIDATE_COLUMNS))
    records = prepare_records(candidates)
    duplicated = records["unique_id"].duplicated(keep=False)
    if duplicated.any():
        sample = ", ".join(records.loc[duplicated, "unique_id"].head(5))
        raise DuplicateIdentityError(
            f"{int(duplicated.sum())} candidate rows share a (source_system, source_record_id), "
            f"e.g. {sample}. int_identity__candidates must hold one row per source identity."
        )
    return candidates, records


@dataclass
class _Linked:
    links: pd.DataFrame  # every link, with its clustering status
    clusters: Clusters
    splink_links: pd.DataFrame  # Splink pairs at or above the threshold, not yet joined
    model: ModelResult
    alias_counts: dict[str, int]
    alias_ambiguous: pd.DataFrame


def _link_and_cluster(
    candidates: pd.DataFrame,
    records: pd.DataFrame,
    inputs: IdentityInputs,
    overrides: Overrides,
    config: IdentityConfig,
    previous: PreviousState,
    resolved_at: datetime,
    notes: list[str],
    timings: dict[str, float],
) -> _Linked:
    """Rules, model, first clustering, e-mail aliases, final clustering."""
    started = time.perf_counter()
    nodes = records[["unique_id", "source_system"]]
    con = duckdb.connect()  # Splink's own in-memory database: the warehouse stays free
    try:
        con.register("_identity_records_frame", records)
        con.execute(f"CREATE TABLE {RECORDS_VIEW} AS SELECT * FROM _identity_records_frame")
        con.unregister("_identity_records_frame")
        rule_links = deterministic_links(con, card_holders(candidates, inputs.card_links), config)
        timings["rules_s"] = time.perf_counter() - started
        model = train_and_predict(con, config, len(records), previous.model, resolved_at)
        timings.update(model.timings)
        notes += model.notes
        if not model.trained and len(records) < config.min_identities_for_model:
            notes.append(
                f"Only {len(records)} identities (fewer than {config.min_identities_for_model}): "
                "the probabilistic model was not trained; deterministic rules only."
            )
        t = time.perf_counter()
        evidence = pd.concat([overrides.merge_links, rule_links], ignore_index=True)
        splink_links = _remaining_pairs(model.predictions, evidence, nodes, config.match_threshold)
        links = pd.concat(
            [
                evidence.assign(match_probability=np.nan),
                splink_links[["unique_id_l", "unique_id_r", "match_probability"]].assign(
                    match_rule=RULE_SPLINK, rules=RULE_SPLINK
                ),
            ],
            ignore_index=True,
        )
        clustering = Clustering(nodes, overrides.never_merge)
        first_pass = clustering.add(links)
        aliases = alias_links(con, first_pass.members)
    finally:
        con.close()
    # alias links are the weakest: taken on top of the first pass
    clusters = clustering.add(aliases.links.assign(match_probability=np.nan))
    timings["clustering_s"] = time.perf_counter() - t
    return _Linked(clusters.links, clusters, splink_links, model, aliases.counts, aliases.ambiguous)


def resolve(
    inputs: IdentityInputs,
    previous: PreviousState,
    config: IdentityConfig,
    resolved_at: datetime,
) -> Resolution:
    """Rules, model, clustering and stable ids over ``inputs``; nothing is written."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    candidates, records = _checked_records(inputs.candidates)
    notes = list(inputs.notes)
    overrides = parse_overrides(inputs.overrides, records["unique_id"])
    notes += overrides.notes
    linked = _link_and_cluster(
        candidates, records, inputs, overrides, config, previous, resolved_at, notes, timings
    )

    members = linked.clusters.members  # one row per record, in the same order
    members = members.assign(
        source_system=records["source_system"].to_numpy(),
        source_record_id=records["source_record_id"].to_numpy(),
    )
    prev = previous.crosswalk.assign(
        unique_id=identity_keys(
            previous.crosswalk["source_system"], previous.crosswalk["source_record_id"]
        )
    )
    ids, lineage = assign_ids(members, prev, previous.issued_ids, resolved_at)
    members["scv_customer_id"] = ids.to_numpy()
    crosswalk = members.take(_by_source_keys(members)).reset_index(drop=True)
    crosswalk = crosswalk.assign(resolved_at=resolved_at)[[name for name, _ in CROSSWALK_COLUMNS]]

    by_id = pd.Index(records["unique_id"])  # one hash table for the look-ups by id below
    id_of = pd.Series(members["scv_customer_id"].to_numpy(), index=by_id)
    links = _split_keys(linked.links, records, by_id)
    links["scv_customer_id"] = np.where(
        links["status"].isin([ACCEPTED, REDUNDANT]),
        id_of.reindex(links["unique_id_l"]).to_numpy(),
        None,
    )
    links["resolved_at"] = resolved_at

    explanations = _explanations(linked.splink_links, links, id_of, linked.model, resolved_at)
    ambiguous = _ambiguous(linked.alias_ambiguous, records, id_of, resolved_at)
    timings["total_s"] = time.perf_counter() - started
    stats = _stats(records, crosswalk, links, linked.model, config, lineage)
    stats["email_alias"] = linked.alias_counts
    return Resolution(
        crosswalk, links, explanations, lineage, ambiguous, linked.model, stats, notes, timings
    )


def _ambiguous(
    found: pd.DataFrame, records: pd.DataFrame, id_of: pd.Series, resolved_at: datetime
) -> pd.DataFrame:
    """The identities the e-mail alias rule left alone, with the customers they could be.
    ``id_of`` is the customer id of each record, indexed by ``records["unique_id"]``."""
    keys = _source_keys(records, id_of.index, found["orphan_id"])
    named = list(set(itertools.chain.from_iterable(found["candidate_ids"])))
    customer_of = dict(zip(named, id_of.reindex(named).to_numpy(), strict=True))
    candidates = [
        sorted({c for i in ids if pd.notna(c := customer_of.get(i))})
        for ids in found["candidate_ids"]
    ]
    frame = pd.DataFrame(
        {
            "source_system": keys["source_system"],
            "source_record_id": keys["source_record_id"],
            "scv_customer_id": id_of.reindex(found["orphan_id"]).to_numpy(),
            "deciding_rule": [f"{RULE_ALIAS}:{TIER_NAMES[int(t)]}" for t in found["tier"]],
            "candidate_customers": [len(c) for c in candidates],
            "candidate_scv_customer_ids": [",".join(c) for c in candidates],
            "resolved_at": resolved_at,
        }
    )
    return frame.sort_values(["source_system", "source_record_id"], ignore_index=True)


def _explanations(
    splink_links: pd.DataFrame,
    links: pd.DataFrame,
    id_of: pd.Series,
    model: ModelResult,
    resolved_at: datetime,
) -> pd.DataFrame:
    status = links[links["match_rule"] == RULE_SPLINK].set_index(["unique_id_l", "unique_id_r"])[
        ["status", "source_system_l", "source_record_id_l", "source_system_r", "source_record_id_r"]
    ]
    out = splink_links.join(status, on=["unique_id_l", "unique_id_r"])
    out = out.assign(
        scv_customer_id_l=id_of.reindex(out["unique_id_l"]).to_numpy(),
        scv_customer_id_r=id_of.reindex(out["unique_id_r"]).to_numpy(),
        prior_match_weight=model.prior_match_weight,
        resolved_at=resolved_at,
    )
    return out.sort_values("match_probability", ascending=False, ignore_index=True)


def _stats(
    records: pd.DataFrame,
    crosswalk: pd.DataFrame,
    links: pd.DataFrame,
    model: ModelResult,
    config: IdentityConfig,
    lineage: pd.DataFrame,
) -> dict[str, object]:
    sizes = crosswalk["scv_customer_id"].value_counts(sort=False)
    by_status = links.groupby(["match_rule", "status"]).size()
    predictions = model.predictions
    near = predictions[
        (predictions["match_probability"] < config.match_threshold)
        & (predictions["match_probability"] >= 0.5)
    ]
    return {
        "identities": len(records),
        "identities_by_system": records.groupby("source_system").size().to_dict(),
        "clusters": int(sizes.size),
        "clusters_with_several_identities": int((sizes > 1).sum()),
        "largest_cluster": int(sizes.max()) if sizes.size else 0,
        "members_by_rule": crosswalk.groupby("match_rule").size().to_dict(),
        "links_by_rule_and_status": {f"{r}/{s}": int(n) for (r, s), n in by_status.items()},
        "splink_pairs_scored_at_0_5_or_more": len(predictions),
        "splink_near_misses": len(near),
        "lineage_merges": int((lineage["change_type"] == "merge").sum()),
        "lineage_splits": int((lineage["change_type"] == "split").sum()),
    }
