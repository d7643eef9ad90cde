"""Manual decisions of data stewards (the ``identity_overrides`` seed): merge or never_merge.

A ``merge`` adds the strongest possible link between two identities; a ``never_merge`` keeps
them in different clusters whatever the rules or the model say (see ``clustering.py``). When
the same pair has both decisions, the latest ``reviewed_on`` wins (never_merge on a tie).
Rows naming an identity that does not exist (yet) are reported and ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from scv_platform.identity.rules import RULE_OVERRIDE
from scv_platform.identity.tables import identity_keys

MERGE = "merge"
NEVER_MERGE = "never_merge"
DECISIONS = (MERGE, NEVER_MERGE)


@dataclass
class Overrides:
    merge_links: pd.DataFrame  # unique_id_l, unique_id_r, match_rule, rules
    never_merge: list[tuple[str, str]]
    notes: list[str] = field(default_factory=list)


def parse_overrides(overrides: pd.DataFrame, known_ids: pd.Series) -> Overrides:
    """Valid, de-duplicated decisions over identities in ``known_ids``."""
    notes: list[str] = []
    empty_links = pd.DataFrame(columns=["unique_id_l", "unique_id_r", "match_rule", "rules"])
    if overrides.empty:
        return Overrides(empty_links, [], notes)
    o = overrides.copy()
    o["decision"] = o["decision"].astype(str).str.strip().str.lower()
    bad = ~o["decision"].isin(DECISIONS)
    if bad.any():
        notes.append(f"{int(bad.sum())} override rows with an unknown decision ignored.")
    o = o[~bad]
    a = identity_keys(o["source_system_a"].str.strip(), o["source_record_id_a"].str.strip())
    b = identity_keys(o["source_system_b"].str.strip(), o["source_record_id_b"].str.strip())
    o = o.assign(unique_id_l=a.where(a < b, b), unique_id_r=b.where(a < b, a))
    known = set(known_ids)
    missing = ~(o["unique_id_l"].isin(known) & o["unique_id_r"].isin(known))
    if missing.any():
        sample = ", ".join(
            f"{x} / {y}" for x, y in o.loc[missing, ["unique_id_l", "unique_id_r"]].head(5).values
        )
        notes.append(f"{int(missing.sum())} override rows name unknown identities: {sample}.")
    o = o[~missing & (o["unique_id_l"] != o["unique_id_r"])]
    o["reviewed_on"] = pd.to_datetime(o["reviewed_on"], errors="coerce")
    o["is_never"] = o["decision"] == NEVER_MERGE
    # latest review first; on the same day never_merge first
    o = o.sort_values(["reviewed_on", "is_never"], ascending=[False, False], na_position="last")
    o = o.drop_duplicates(["unique_id_l", "unique_id_r"], keep="first")
    merges = o[o["decision"] == MERGE][["unique_id_l", "unique_id_r"]].assign(
        match_rule=RULE_OVERRIDE, rules=RULE_OVERRIDE
    )
    never = list(o.loc[o["is_never"], ["unique_id_l", "unique_id_r"]].itertuples(index=False))
    return Overrides(merges.reset_index(drop=True), [tuple(p) for p in never], notes)
