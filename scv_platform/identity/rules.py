"""Deterministic rules: pairs of identities that are the same customer without any model.

- ``card_account``: two identities hold the same card account (the CRM card export or a
  legacy workbook names it for both): a contact and a legacy customer, or two legacy rows.
- ``email``: the same normalised e-mail; placeholder addresses are dropped when features are
  prepared and addresses held by more than ``max_identities_per_email`` identities are shared.
  Two named identities must not contradict each other (first and last names alike, birth
  dates equal or one typo apart): a family mailbox or two namesakes with the same address
  are left to the model. An identity without a name (a shop account) joins only when the
  named holders of its address agree with each other; otherwise it is ambiguous.
- ``phone_last_name``: a phone (main or alternative) and the last name in common, with the
  same compatibility test; phones held by too many identities are ignored.

Rules run as SQL in an in-memory DuckDB over the prepared records (see ``features.py``).
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from scv_platform.identity.config import IdentityConfig

RULE_OVERRIDE = "override_merge"
RULE_CARD = "card_account"
RULE_EMAIL = "email"
RULE_PHONE = "phone_last_name"
RULE_SPLINK = "splink"
RULE_ALIAS = "email_alias"  # see aliases.py
RULE_SINGLETON = "singleton"
DETERMINISTIC_RULES = (RULE_CARD, RULE_EMAIL, RULE_PHONE, RULE_ALIAS)
EVIDENCE_RULES = (RULE_OVERRIDE, *DETERMINISTIC_RULES)  # links that need no model
# strongest first: the order in which clustering takes links
RULE_RANK = {
    RULE_OVERRIDE: 0,
    RULE_CARD: 1,
    RULE_EMAIL: 2,
    RULE_PHONE: 3,
    RULE_SPLINK: 4,
    RULE_ALIAS: 5,
}

RECORDS_VIEW = "identity_records"
CARDS_VIEW = "identity_cards"
CARD_COLUMNS = ("card_account_id", "source_system", "source_record_id")
LINK_COLUMNS = ["unique_id_l", "unique_id_r", "match_rule", "rules"]

# Two identities do not contradict each other: names alike (or a nickname), birth dates equal,
# day and month swapped or one character apart; a missing value contradicts nothing.
_COMPATIBLE = """(
    (l.first_name IS NULL OR r.first_name IS NULL
     OR l.first_name_canonical = r.first_name_canonical
     OR jaro_winkler_similarity(l.first_name, r.first_name) >= $min_similarity)
    AND (l.last_name IS NULL OR r.last_name IS NULL
     OR jaro_winkler_similarity(l.last_name, r.last_name) >= $min_similarity)
    AND (l.birth_date IS NULL OR r.birth_date IS NULL OR l.birth_date = r.birth_date
     OR damerau_levenshtein(l.birth_date, r.birth_date) <= 1
     OR (left(l.birth_date, 4) = left(r.birth_date, 4)
         AND substr(l.birth_date, 6, 2) = substr(r.birth_date, 9, 2)
         AND substr(l.birth_date, 9, 2) = substr(r.birth_date, 6, 2)))
)"""
_NAMED = "(l.last_name IS NOT NULL AND r.last_name IS NOT NULL)"

# Identities with the same e-mail, compatible; an identity without a name (a shop account)
# only joins when the named holders of its address do not contradict each other.
EMAIL_SQL = f"""
WITH counts AS (
    SELECT email, count(*) AS n FROM {RECORDS_VIEW} WHERE email IS NOT NULL GROUP BY email
), pairs AS (
    SELECT l.unique_id AS unique_id_l, r.unique_id AS unique_id_r, l.email,
           {_NAMED} AS both_named, {_COMPATIBLE} AS compatible
    FROM {RECORDS_VIEW} AS l
    JOIN {RECORDS_VIEW} AS r ON l.email = r.email AND l.unique_id < r.unique_id
    JOIN counts AS c ON c.email = l.email
    WHERE c.n <= $max_identities
), contested AS (
    SELECT DISTINCT email FROM pairs WHERE both_named AND NOT compatible
)
SELECT unique_id_l, unique_id_r FROM pairs
WHERE compatible AND (both_named OR email NOT IN (SELECT email FROM contested))
"""

PHONE_SQL = f"""
WITH phones AS (
    SELECT unique_id, phone AS number, first_name, first_name_canonical, last_name, birth_date
    FROM {RECORDS_VIEW} WHERE phone IS NOT NULL
    UNION
    SELECT unique_id, phone_alt, first_name, first_name_canonical, last_name, birth_date
    FROM {RECORDS_VIEW} WHERE phone_alt IS NOT NULL
), counts AS (
    SELECT number, count(DISTINCT unique_id) AS n FROM phones GROUP BY number
)
SELECT DISTINCT l.unique_id AS unique_id_l, r.unique_id AS unique_id_r
FROM phones AS l
JOIN phones AS r ON l.number = r.number AND l.unique_id < r.unique_id
JOIN counts AS c ON c.number = l.number
WHERE c.n <= $max_identities AND l.last_name = r.last_name AND {_COMPATIBLE}
"""

CARD_SQL = f"""
WITH holders AS (
    SELECT DISTINCT cards.card_account_id, records.unique_id
    FROM {CARDS_VIEW} AS cards
    JOIN {RECORDS_VIEW} AS records
      ON records.source_system = cards.source_system
     AND records.source_record_id = cards.source_record_id
), counts AS (
    SELECT card_account_id, count(*) AS n FROM holders GROUP BY card_account_id
)
SELECT DISTINCT l.unique_id AS unique_id_l, r.unique_id AS unique_id_r
FROM holders AS l
JOIN holders AS r ON l.card_account_id = r.card_account_id AND l.unique_id < r.unique_id
JOIN counts AS c ON c.card_account_id = l.card_account_id
WHERE c.n <= $max_identities
"""

PAIRS_TABLE = "identity_rule_pairs"  # every pair each rule found, with the rule's rank
STRONGEST_RULE_SQL = f"""
SELECT unique_id_l, unique_id_r, arg_min(match_rule, rank) AS match_rule,
       string_agg(match_rule, ',' ORDER BY rank) AS rules
FROM {PAIRS_TABLE}
GROUP BY unique_id_l, unique_id_r
ORDER BY unique_id_l, unique_id_r
"""


def card_holders(candidates: pd.DataFrame, card_links: pd.DataFrame) -> pd.DataFrame:
    """(card_account_id, source_system, source_record_id) from the card links and from the
    candidates' own ``card_account_ids`` lists, upper-cased and de-duplicated."""
    linked = card_links[list(CARD_COLUMNS)].dropna().astype(str)
    listed = candidates[["card_account_ids", "source_system", "source_record_id"]]
    listed = listed.dropna().astype(str)
    # most lists hold one id: split only the others (fewer short-lived Python lists)
    per_list = [text.count(",") + 1 for text in listed["card_account_ids"]]
    written = list(linked["card_account_id"])
    for text, n in zip(listed["card_account_ids"], per_list, strict=True):
        if n == 1:
            written.append(text)
        else:
            written.extend(text.split(","))
    cards = pd.DataFrame(
        {
            "card_account_id": written,
            **{
                name: np.concatenate(
                    [linked[name].to_numpy(), np.repeat(listed[name].to_numpy(), per_list)]
                )
                for name in CARD_COLUMNS[1:]
            },
        },
        dtype=object,
    )
    codes, written = pd.factorize(cards["card_account_id"])  # normalised once per distinct id
    cards["card_account_id"] = np.array([t.strip().upper() for t in written], dtype=object)[codes]
    cards = cards[cards["card_account_id"] != ""]
    return cards.drop_duplicates().reset_index(drop=True)


def deterministic_links(
    con: duckdb.DuckDBPyConnection, cards: pd.DataFrame, config: IdentityConfig
) -> pd.DataFrame:
    """One row per linked pair (``unique_id_l`` < ``unique_id_r``): the strongest rule that
    fired as ``match_rule`` and every rule that fired, comma-separated, as ``rules``.

    ``con`` must hold the prepared records as the view ``identity_records``.
    """
    con.register(CARDS_VIEW, cards)
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {PAIRS_TABLE} "
            "(unique_id_l VARCHAR, unique_id_r VARCHAR, match_rule VARCHAR, rank INTEGER)"
        )
        for rule, sql, limit in (
            (RULE_CARD, CARD_SQL, config.max_identities_per_card),
            (RULE_EMAIL, EMAIL_SQL, config.max_identities_per_email),
            (RULE_PHONE, PHONE_SQL, config.max_identities_per_phone),
        ):
            params: dict[str, object] = {"max_identities": limit}
            if "$min_similarity" in sql:
                params["min_similarity"] = config.first_name_similarity
            con.execute(
                f"INSERT INTO {PAIRS_TABLE} SELECT unique_id_l, unique_id_r, "
                f"'{rule}', {RULE_RANK[rule]} FROM ({sql})",
                params,
            )
        links = con.execute(STRONGEST_RULE_SQL).df()
    finally:
        con.unregister(CARDS_VIEW)
        con.execute(f"DROP TABLE IF EXISTS {PAIRS_TABLE}")
    if links.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in LINK_COLUMNS})
    return links
