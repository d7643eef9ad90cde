"""Co-branded card accounts: who holds which card, of what type, opened when."""

from __future__ import annotations

import numpy as np
import pandas as pd

from scv_platform.settings import SimulationSettings
from scv_platform.simulate.segments import CREDIT_LIMITS, SEGMENTS
from scv_platform.simulate.text import pick, prefixed_ids, unique_random_ints
from scv_platform.simulate.timeline import LEGACY_EXPORT_OFFSET_DAYS


def build_accounts(
    settings: SimulationSettings, people: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """About ``card_multiplier`` cards per person; the first card is the main one.

    Cards of legacy customers carry their legacy number (always when the person is not a
    CRM contact, for about half of those who are); secondary cards are sometimes inactive.
    """
    n = len(people)
    extra = rng.poisson(max(settings.card_multiplier - 1.0, 0.0), n)
    per_person = 1 + np.minimum(extra, 3)
    person = np.repeat(np.arange(n), per_person)
    first_of_person = np.concatenate([[0], np.cumsum(per_person)[:-1]])
    rank = np.arange(person.size) - np.repeat(first_of_person, per_person)
    m = person.size

    segment = people["segment_idx"].to_numpy()[person]
    card_type = np.empty(m, dtype=np.int64)
    for s, spec in enumerate(SEGMENTS):
        rows = np.flatnonzero(segment == s)
        card_type[rows] = pick(rng, spec.card_type_mix, rows.size)
    low, high = CREDIT_LIMITS[card_type, 0], CREDIT_LIMITS[card_type, 1]
    limit = np.round(rng.uniform(low, high) / 500.0) * 500.0

    in_crm = people["in_crm"].to_numpy()[person]
    in_legacy = people["in_legacy"].to_numpy()[person]
    linked_person = people["in_legacy"].to_numpy() & (
        ~people["in_crm"].to_numpy() | (rng.random(n) < 0.5)
    )
    legacy_link = linked_person[person]

    # opening moments (days since start): legacy-era cards before the legacy export, CRM
    # cards after the contact was created, New & Growing cards on the day they join
    since = people["since_t"].to_numpy()[person]
    created = people["created_t"].to_numpy()[person]
    join = people["join_t"].to_numpy()[person]
    legacy_export = float(LEGACY_EXPORT_OFFSET_DAYS)
    u = rng.random(m)
    opened = np.where(
        legacy_link,
        since + u * (legacy_export - since),
        created + u * (-created),
    )
    opened = np.where(join >= 0, join, opened)
    # a later card never opens before the person's first one
    first_open = opened[np.repeat(first_of_person, per_person)]
    opened = np.where(rank > 0, np.maximum(opened, first_open), opened)
    modified = np.where(join >= 0, opened + 1.0 / 24.0, opened + rng.random(m) * -opened)

    inactive = (rank > 0) & (rng.random(m) < 0.06)
    numbers = unique_random_ints(rng, m, 1_000_000_000, 10_000_000_000)
    return pd.DataFrame(
        {
            "scv_cardaccountid": prefixed_ids("CA", numbers, 10),
            "person": person,
            "rank": rank,
            "contactid": np.where(in_crm, people["contactid"].to_numpy()[person], ""),
            "scv_legacycustno": np.where(
                legacy_link & in_legacy, people["legacy_cust_no"].to_numpy()[person], ""
            ),
            "card_type": card_type,
            "credit_limit": limit,
            "opened_t": opened,
            "modified_t": modified,
            "statecode": inactive.astype(np.int64),
        }
    )
