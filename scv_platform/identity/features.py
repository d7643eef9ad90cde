"""Matching features derived from the candidate identities (vectorised, per distinct value).

Names are folded to lower-case ASCII letters; e-mails give their user part and its stem
(user part without digits and punctuation); first names get a canonical form through a
small table of common English nicknames; last names get a Soundex code for blocking.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

from scv_platform.identity.tables import identity_keys

# Common English given-name nicknames -> formal name (a short, hand-written list).
NICKNAMES: dict[str, str] = {
    "abby": "abigail", "al": "albert", "alex": "alexander", "andy": "andrew",
    "barb": "barbara", "becky": "rebecca", "ben": "benjamin", "beth": "elizabeth",
    "betty": "elizabeth", "bill": "william", "billy": "william", "bob": "robert",
    "bobby": "robert", "cathy": "catherine", "chris": "christopher", "chuck": "charles",
    "charlie": "charles", "cindy": "cynthia", "dan": "daniel", "danny": "daniel",
    "dave": "david", "deb": "deborah", "debbie": "deborah", "don": "donald",
    "doug": "douglas", "ed": "edward", "eddie": "edward",
    "fred": "frederick", "gene": "eugene", "greg": "gregory", "hank": "henry",
    "jack": "john", "jake": "jacob", "jeff": "jeffrey", "jen": "jennifer",
    "jenny": "jennifer", "jerry": "gerald", "jess": "jessica", "jessie": "jessica",
    "jim": "james", "jimmy": "james", "joe": "joseph", "joey": "joseph", "johnny": "john",
    "jon": "jonathan", "josh": "joshua", "kate": "katherine", "katie": "katherine",
    "kathy": "kathleen", "ken": "kenneth", "kenny": "kenneth", "larry": "lawrence",
    "liz": "elizabeth", "lizzie": "elizabeth", "maggie": "margaret", "matt": "matthew",
    "meg": "margaret", "mike": "michael", "mickey": "michael", "nate": "nathan",
    "nick": "nicholas", "pam": "pamela", "pat": "patricia",
    "patty": "patricia", "peggy": "margaret", "pete": "peter", "phil": "philip",
    "ray": "raymond", "rich": "richard", "rick": "richard", "ricky": "richard",
    "rob": "robert", "ron": "ronald", "ronnie": "ronald", "sam": "samuel",
    "sandy": "sandra", "steve": "steven", "sue": "susan", "susie": "susan",
    "ted": "theodore", "tim": "timothy", "tom": "thomas",
    "tommy": "thomas", "tony": "anthony", "vicky": "victoria", "will": "william",
    "zach": "zachary",
}  # fmt: skip

_SOUNDEX_CODES = {
    **dict.fromkeys("bfpv", "1"),
    **dict.fromkeys("cgjkqsxz", "2"),
    **dict.fromkeys("dt", "3"),
    "l": "4",
    **dict.fromkeys("mn", "5"),
    "r": "6",
}

# Addresses people type when they do not want to give one: never evidence of identity.
PLACEHOLDER_EMAIL = (
    r"^(?:none|noemail|no\.?email|nomail|no-?reply|donotreply|test|testing|na|n/?a|null|unknown|"
    r"email|nobody|x+|a+)@|@(?:example\.(?:com|org|net)|test\.com|none\.com|noemail\.com|"
    r"invalid|localhost)$"
)

_PLACEHOLDER = re.compile(PLACEHOLDER_EMAIL)
_NON_LETTER = re.compile(r"[^a-z]")

FEATURE_COLUMNS = (
    "unique_id", "source_system", "source_record_id", "first_name", "first_name_canonical",
    "last_name", "last_name_soundex", "birth_date", "birth_year", "email", "email_user",
    "email_stem", "phone", "phone_alt", "address_line1", "city", "state_code", "postal_code",
)  # fmt: skip


def fold_name(value: str) -> str:
    """Lower-case ASCII letters only ('José-Luis' -> 'joseluis')."""
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return "".join(ch for ch in ascii_text.lower() if "a" <= ch <= "z")


def soundex(value: str) -> str:
    """American Soundex of a folded name ('' for an empty one)."""
    if not value:
        return ""
    digits = [value[0].upper()]
    previous = _SOUNDEX_CODES.get(value[0], "")
    for ch in value[1:]:
        code = _SOUNDEX_CODES.get(ch, "")
        if code and code != previous:
            digits.append(code)
        if ch not in "hw":  # h and w do not separate letters with the same code
            previous = code
    return ("".join(digits) + "000")[:4]


def _distinct_text(series: pd.Series) -> tuple[np.ndarray, list[str | None]]:
    """The code of each value (-1 for null) and the stripped text of each distinct value
    (None when blank): normalising once per distinct value is cheap on 100k+ rows."""
    if pd.api.types.infer_dtype(series, skipna=True) not in ("string", "empty"):
        # numbers, dates...: their text as pandas writes it (factorising mixed types could
        # merge values that hash alike but print differently, such as 1 and 1.0)
        series = series.astype("string")
    codes, distinct = pd.factorize(series)
    return codes, [text if (text := value.strip()) else None for value in distinct]


def _by_code(codes: np.ndarray, distinct: list) -> np.ndarray:
    """One value per row from one per distinct value; None for null (code -1)."""
    values = np.empty(len(distinct) + 1, dtype=object)  # the last slot (code -1) stays None
    values[:-1] = distinct
    return values[codes]


def prepare_records(candidates: pd.DataFrame) -> pd.DataFrame:
    """The Splink / rule input: one row per identity with normalised matching columns.

    Text columns are normalised once per distinct value (most repeat: names, cities) with
    plain Python string functions; every missing or blank value becomes None."""
    c = candidates
    out: dict[str, np.ndarray] = {
        "unique_id": identity_keys(c["source_system"], c["source_record_id"]).to_numpy(),
        "source_system": c["source_system"].astype(str).to_numpy(),
        "source_record_id": c["source_record_id"].astype(str).to_numpy(),
    }
    codes, text = _distinct_text(c["first_name"])
    folded = [(fold_name(t) or None) if t else None for t in text]
    out["first_name"] = _by_code(codes, folded)
    out["first_name_canonical"] = _by_code(
        codes, [NICKNAMES.get(f, f) if f else None for f in folded]
    )
    codes, text = _distinct_text(c["last_name"])
    folded = [(fold_name(t) or None) if t else None for t in text]
    out["last_name"] = _by_code(codes, folded)
    out["last_name_soundex"] = _by_code(codes, [soundex(f) if f else None for f in folded])
    codes, dates = pd.factorize(pd.to_datetime(c["birth_date"], errors="coerce"))
    out["birth_date"] = _by_code(codes, list(dates.strftime("%Y-%m-%d")))
    out["birth_year"] = _by_code(codes, [int(year) for year in dates.year])
    # e-mails: lower-case without white space (split(): any), with an '@', no placeholder
    codes, text = _distinct_text(c["email"])
    emails = ["".join(t.lower().split()) if t else None for t in text]
    emails = [e if e and "@" in e and not _PLACEHOLDER.search(e) else None for e in emails]
    users = [e[: e.index("@")] if e else None for e in emails]  # before the first '@'
    stems = [_NON_LETTER.sub("", u) if u else "" for u in users]  # the letters (4 or more)
    out["email"] = _by_code(codes, emails)
    out["email_user"] = _by_code(codes, [u or None for u in users])
    out["email_stem"] = _by_code(codes, [s if len(s) >= 4 else None for s in stems])
    for name in ("phone", "phone_alt", "postal_code"):
        out[name] = _by_code(*_distinct_text(c[name]))
    for name, case in (
        ("address_line1", str.upper),
        ("city", str.lower),
        ("state_code", str.upper),
    ):
        codes, text = _distinct_text(c[name])
        out[name] = _by_code(codes, [case(t) if t else None for t in text])
    return pd.DataFrame({name: out[name] for name in FEATURE_COLUMNS}, dtype=object)
