"""Matching features derived from the candidate identities (vectorised, per distinct value).

Names are folded to lower-case ASCII letters; e-mails give their user part and its stem
(user part without digits and punctuation); first names get a canonical form through a
small table of common English nicknames; last names get a Soundex code for blocking.
"""

from __future__ import annotations

import unicodedata

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


def _per_value(series: pd.Series, func) -> pd.Series:
    """Apply ``func`` once per distinct non-null value (cheap on 100k+ rows)."""
    distinct = series.dropna().unique()
    lookup = {v: func(v) for v in distinct}
    return series.map(lookup)


def _blank_to_null(series: pd.Series) -> pd.Series:
    text = series.astype("string").str.strip()
    return text.mask(text == "").astype(object).where(text.notna(), None)


def prepare_records(candidates: pd.DataFrame) -> pd.DataFrame:
    """The Splink / rule input: one row per identity with normalised matching columns."""
    c = candidates
    out = pd.DataFrame(
        {
            "unique_id": identity_keys(c["source_system"], c["source_record_id"]),
            "source_system": c["source_system"].astype(str),
            "source_record_id": c["source_record_id"].astype(str),
        }
    )
    for name in ("first_name", "last_name"):
        folded = _per_value(_blank_to_null(c[name]), fold_name)
        out[name] = folded.mask(folded == "").where(folded.notna(), None)
    out["first_name_canonical"] = out["first_name"].map(
        lambda v: NICKNAMES.get(v, v) if isinstance(v, str) else None
    )
    out["last_name_soundex"] = _per_value(out["last_name"], soundex)
    birth = pd.to_datetime(c["birth_date"], errors="coerce")
    out["birth_date"] = birth.dt.strftime("%Y-%m-%d").where(birth.notna(), None)
    out["birth_year"] = birth.dt.year.astype("Int64").astype(object).where(birth.notna(), None)
    email = _blank_to_null(c["email"])
    email = email.str.lower().str.replace(r"\s+", "", regex=True)
    valid = email.str.contains("@", na=False) & ~email.str.contains(PLACEHOLDER_EMAIL, na=False)
    out["email"] = email.where(valid, None)
    user = out["email"].str.split("@").str[0]
    out["email_user"] = user.where(user.str.len() > 0, None)
    stem = user.str.replace(r"[^a-z]", "", regex=True)
    out["email_stem"] = stem.where(stem.str.len() >= 4, None)
    for name in ("phone", "phone_alt", "address_line1", "postal_code"):
        out[name] = _blank_to_null(c[name])
    out["address_line1"] = out["address_line1"].str.upper()
    out["city"] = _blank_to_null(c["city"]).str.lower()
    out["state_code"] = _blank_to_null(c["state_code"]).str.upper()
    out = out.astype(object).where(out.notna(), None)
    return out[list(FEATURE_COLUMNS)].reset_index(drop=True)
