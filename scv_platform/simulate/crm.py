"""Dynamics 365 exports: contacts (full + deltas), customer addresses and card accounts.

The full export holds every contact created before the history start. Each delta export
holds the contacts created since the previous export plus a share of existing contacts
that moved or changed their e-mail (the whole row again, with a new ``modifiedon``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from scv_platform.settings import SimulationSettings
from scv_platform.simulate.geography import STATES
from scv_platform.simulate.people import other_emails, phone_numbers, street_lines
from scv_platform.simulate.segments import CARD_TYPES
from scv_platform.simulate.text import (
    format_phones,
    guids,
    pick,
    vary_case,
    with_spaces,
    zero_pad,
)
from scv_platform.simulate.timeline import Timeline
from scv_platform.simulate.writer import Landing, dates, iso_text, money, text

# phone slot orders: which column gets the 1st, 2nd and 3rd number of a contact
_SLOT_ORDERS = np.array([[2, 0, 1], [0, 2, 1], [0, 1, 2]])  # 0 tel1, 1 tel2, 2 mobile
_COUNTRIES = np.array(["US", "United States", "USA"])
CHANGE_COLUMNS = (
    "contactid",
    "person_id",
    "change",
    "old_postal_code",
    "new_postal_code",
    "old_line1",
    "new_line1",
    "old_email",
    "new_email",
    "modified_t",
)


@dataclass
class CrmState:
    """Current CRM view per person (indexed like ``people``) and its rendering styles."""

    email: np.ndarray
    line1: np.ndarray
    postal_idx: np.ndarray
    modified_t: np.ndarray
    styles: dict[str, np.ndarray]
    phones: np.ndarray  # (n, 3) digits, '' where the contact has fewer numbers
    plus4: np.ndarray


def _styles(rng: np.random.Generator, n: int, phone_multiplier: float) -> dict[str, np.ndarray]:
    p_extra = float(np.clip((phone_multiplier - 1.0) / 2.0, 0.0, 1.0))
    count = 1 + rng.binomial(2, p_extra, n)
    count[rng.random(n) < 0.03] = 0
    return {
        "name_case": pick(rng, [95, 3, 2], n),
        "email_case": pick(rng, [86, 4, 4, 6], n),  # as is, UPPER, lower, Title
        "email_space": pick(rng, [95, 3, 2], n),
        "email_empty": rng.random(n) < 0.05,
        "phone_count": count,
        "slot_order": pick(rng, [60, 30, 10], n),
        "phone_style": rng.integers(0, 5, (n, 3)),
        "state_style": pick(rng, [70, 25, 5], n),
        "postal_style": pick(rng, [90, 8, 2], n),
        "birthdate_empty": rng.random(n) < 0.08,
        "country": pick(rng, [60, 30, 10], n),
        "statecode": (rng.random(n) < 0.02).astype(np.int64),
    }


def initial_state(
    settings: SimulationSettings, people: pd.DataFrame, pool: pd.DataFrame, rng: np.random.Generator
) -> CrmState:
    n = len(people)
    styles = _styles(rng, n, settings.phone_multiplier)
    state_idx = pool["state_idx"].to_numpy()[people["postal_idx"].to_numpy()]
    phones = np.stack(
        [
            people["phone"].to_numpy().astype("U10"),
            phone_numbers(rng, state_idx),
            phone_numbers(rng, state_idx),
        ],
        axis=1,
    )
    phones[np.arange(3)[None, :] >= styles["phone_count"][:, None]] = ""
    created = people["created_t"].to_numpy()
    modified = np.where(created < 0, created + rng.random(n) * -created, created + 0.004)
    return CrmState(
        email=people["email"].to_numpy().astype(object),  # object: values change length
        line1=people["line1"].to_numpy().astype(object),
        postal_idx=people["postal_idx"].to_numpy().copy(),
        modified_t=modified,
        styles=styles,
        phones=phones,
        plus4=zero_pad(rng.integers(1, 10_000, n), 4),
    )


def render_state(state_idx: np.ndarray, style: np.ndarray) -> np.ndarray:
    """Two-letter code, full name or lower-case code."""
    code = STATES.code[state_idx]
    full = STATES.name[state_idx]
    return np.select([style == 1, style == 2], [full, np.strings.lower(code)], code)


def render_postal(postal: np.ndarray, plus4: np.ndarray, style: np.ndarray) -> np.ndarray:
    """5-digit ZIP, ZIP+4 or empty."""
    zip4 = np.strings.add(np.strings.add(postal, "-"), plus4)
    return np.select([style == 1, style == 2], [zip4, np.full(postal.size, "")], postal)


def _phone_columns(crm: CrmState, idx: np.ndarray) -> np.ndarray:
    """(k, 3) formatted numbers for telephone1, telephone2 and mobilephone."""
    style = crm.styles["phone_style"][idx]
    slot_of = _SLOT_ORDERS[crm.styles["slot_order"][idx]]  # column receiving phone j
    columns = np.full((idx.size, 3), "", dtype=object)
    rows = np.arange(idx.size)
    for j in range(3):
        digits = crm.phones[idx, j]
        has = digits != ""
        formatted = format_phones(np.where(has, digits, "0000000000"), style[:, j])
        columns[rows, slot_of[:, j]] = np.where(has, formatted, "")
    return columns


def contact_table(
    idx: np.ndarray, people: pd.DataFrame, crm: CrmState, pool: pd.DataFrame, tl: Timeline
) -> pa.Table:
    """Contact rows for persons ``idx`` as they currently stand in the CRM."""
    st = {k: v[idx] for k, v in crm.styles.items()}
    postal_idx = crm.postal_idx[idx]
    state_idx = pool["state_idx"].to_numpy()[postal_idx]
    email = vary_case(crm.email[idx], st["email_case"])
    email = np.where(st["email_empty"], "", with_spaces(email, st["email_space"]))
    phones = _phone_columns(crm, idx)
    postal = render_postal(
        pool["postal_code"].to_numpy()[postal_idx].astype(str), crm.plus4[idx], st["postal_style"]
    )
    column = {c: people[c].to_numpy()[idx] for c in people.columns}
    return pa.table(
        {
            "contactid": text(column["contactid"]),
            "firstname": text(vary_case(column["first_name"], st["name_case"])),
            "lastname": text(vary_case(column["last_name"], st["name_case"])),
            "emailaddress1": text(email),
            "telephone1": text(phones[:, 0]),
            "telephone2": text(phones[:, 1]),
            "mobilephone": text(phones[:, 2]),
            "address1_line1": text(crm.line1[idx]),
            "address1_city": text(pool["city"].to_numpy()[postal_idx]),
            "address1_stateorprovince": text(render_state(state_idx, st["state_style"])),
            "address1_postalcode": text(postal),
            "address1_country": text(_COUNTRIES[st["country"]]),
            "birthdate": dates(column["birthdate"], mask=st["birthdate_empty"]),
            "scv_employmentstatus": text(column["employment_status"]),
            "createdon": iso_text(tl.to_epoch(column["created_t"])),
            "modifiedon": iso_text(tl.to_epoch(crm.modified_t[idx])),
            "statecode": pa.array(st["statecode"], type=pa.int64()),
        }
    )


def extra_addresses(
    settings: SimulationSettings,
    people: pd.DataFrame,
    pool: pd.DataFrame,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Bill-to, ship-to and other addresses beyond the primary one (fixed over time)."""
    crm_idx = np.flatnonzero(people["in_crm"].to_numpy())
    count = round(max(settings.address_multiplier - 1.0, 0.0) * crm_idx.size)
    person = np.sort(rng.choice(crm_idx, size=count)) if crm_idx.size else crm_idx[:0]
    kind = np.array([1, 2, 4])[pick(rng, [40, 40, 20], count)]
    same_share = np.select([kind == 1, kind == 2], [0.5, 0.3], 0.0)
    home_state = pool["state_idx"].to_numpy()[people["postal_idx"].to_numpy()[person]]
    anywhere = pick(rng, pool["popularity"].to_numpy(), count)
    postal_idx = np.where(
        rng.random(count) < 0.75, postal_in_state(rng, pool, home_state), anywhere
    )
    return pd.DataFrame(
        {
            "customeraddressid": guids(rng, count),
            "person": person,
            "addresstypecode": kind,
            "same_as_primary": rng.random(count) < same_share,
            "line1": street_lines(rng, count),
            "postal_idx": postal_idx,
        }
    )


def postal_in_state(
    rng: np.random.Generator, pool: pd.DataFrame, state_idx: np.ndarray
) -> np.ndarray:
    """A pool postal code in each given state (every given state is in the pool)."""
    pool_state = pool["state_idx"].to_numpy()
    out = np.empty(state_idx.size, dtype=np.int64)
    for s in np.unique(state_idx):
        rows = np.flatnonzero(state_idx == s)
        out[rows] = rng.choice(np.flatnonzero(pool_state == s), size=rows.size)
    return out


def address_table(
    primary_idx: np.ndarray,
    extras: pd.DataFrame,
    contact_ids: np.ndarray,
    primary_ids: np.ndarray,
    crm: CrmState,
    pool: pd.DataFrame,
    tl: Timeline,
) -> pa.Table:
    """Primary addresses (type 3) of persons ``primary_idx`` plus the given extra rows."""
    extra_person = extras["person"].to_numpy()
    same = extras["same_as_primary"].to_numpy()
    person = np.concatenate([primary_idx, extra_person])
    postal_idx = np.concatenate(
        [
            crm.postal_idx[primary_idx],
            np.where(same, crm.postal_idx[extra_person], extras["postal_idx"].to_numpy()),
        ]
    )
    line1 = np.concatenate(
        [
            crm.line1[primary_idx],
            np.where(same, crm.line1[extra_person], extras["line1"].to_numpy()),
        ]
    )
    kind = np.concatenate([np.full(primary_idx.size, 3), extras["addresstypecode"].to_numpy()])
    ids = np.concatenate([primary_ids[primary_idx], extras["customeraddressid"].to_numpy()])
    postal = render_postal(
        pool["postal_code"].to_numpy()[postal_idx].astype(str),
        crm.plus4[person],
        crm.styles["postal_style"][person],
    )
    state = render_state(
        pool["state_idx"].to_numpy()[postal_idx], crm.styles["state_style"][person]
    )
    return pa.table(
        {
            "customeraddressid": text(ids),
            "parentid": text(contact_ids[person]),
            "addresstypecode": pa.array(kind, type=pa.int64()),
            "line1": text(line1),
            "city": text(pool["city"].to_numpy()[postal_idx]),
            "stateorprovince": text(state),
            "postalcode": text(postal),
            "country": text(_COUNTRIES[crm.styles["country"][person]]),
            "modifiedon": iso_text(tl.to_epoch(crm.modified_t[person])),
        }
    )


def card_table(cards: pd.DataFrame, tl: Timeline) -> pa.Table:
    """Card-account rows as the CRM exports them."""
    return pa.table(
        {
            "scv_cardaccountid": text(cards["scv_cardaccountid"].to_numpy()),
            "contactid": text(cards["contactid"].to_numpy()),
            "scv_legacycustno": text(cards["scv_legacycustno"].to_numpy()),
            "scv_cardtype": text(CARD_TYPES[cards["card_type"].to_numpy()]),
            "scv_creditlimit": money(cards["credit_limit"].to_numpy()),
            "scv_openedon": dates(tl.to_date64(cards["opened_t"].to_numpy())),
            "statecode": pa.array(cards["statecode"].to_numpy(), type=pa.int64()),
            "modifiedon": iso_text(tl.to_epoch(cards["modified_t"].to_numpy())),
        }
    )


@dataclass
class CrmResult:
    state: CrmState
    changes: pd.DataFrame
    export_files: list[str]


def _apply_changes(
    changed: np.ndarray,
    t_from: float,
    t_to: float,
    people: pd.DataFrame,
    pool: pd.DataFrame,
    crm: CrmState,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Move or re-mail the changed contacts; returns the change log and who moved."""
    k = changed.size
    moved = rng.random(k) < 0.6
    when = t_from + rng.uniform(0.02, 0.98, k) * (t_to - t_from)
    old_postal, old_line1, old_email = (
        crm.postal_idx[changed].copy(),
        crm.line1[changed].copy(),
        crm.email[changed].copy(),
    )
    movers = changed[moved]
    state_idx = pool["state_idx"].to_numpy()[crm.postal_idx[movers]]
    nearby = postal_in_state(rng, pool, state_idx)
    anywhere = pick(rng, pool["popularity"].to_numpy(), movers.size)
    crm.postal_idx[movers] = np.where(rng.random(movers.size) < 0.8, nearby, anywhere)
    crm.line1[movers] = street_lines(rng, movers.size)
    mailers = changed[~moved]
    crm.email[mailers] = other_emails(rng, crm.email[mailers])
    crm.modified_t[changed] = when
    codes = pool["postal_code"].to_numpy()
    log = pd.DataFrame(
        {  # keep in line with CHANGE_COLUMNS
            "contactid": people["contactid"].to_numpy()[changed],
            "person_id": people["person_id"].to_numpy()[changed],
            "change": np.where(moved, "moved", "new_email"),
            "old_postal_code": np.where(moved, codes[old_postal], None),
            "new_postal_code": np.where(moved, codes[crm.postal_idx[changed]], None),
            "old_line1": np.where(moved, old_line1, None),
            "new_line1": np.where(moved, crm.line1[changed], None),
            "old_email": np.where(moved, None, old_email),
            "new_email": np.where(moved, None, crm.email[changed]),
            "modified_t": when,
        }
    )
    return log, movers


def write_crm(
    settings: SimulationSettings,
    tl: Timeline,
    people: pd.DataFrame,
    pool: pd.DataFrame,
    cards: pd.DataFrame,
    landing: Landing,
    rng: np.random.Generator,
) -> CrmResult:
    """Write the full export at the history start and the delta exports after it."""
    crm = initial_state(settings, people, pool, rng)
    extras = extra_addresses(settings, people, pool, rng)
    contact_ids = people["contactid"].to_numpy()
    primary_ids = guids(rng, len(people))
    crm_idx = np.flatnonzero(people["in_crm"].to_numpy())
    created = people["created_t"].to_numpy()
    extra_person = extras["person"].to_numpy()
    opened = cards["opened_t"].to_numpy()
    moments = tl.export_times(settings.delta_exports)
    logs: list[pd.DataFrame] = []
    files: list[str] = []
    for k, moment in enumerate(moments):
        previous = moments[k - 1] if k else -np.inf
        new = crm_idx[(created[crm_idx] > previous) & (created[crm_idx] <= moment)]
        changed = crm_idx[:0]
        movers = crm_idx[:0]
        if k:
            existing = crm_idx[created[crm_idx] <= previous]
            count = round(settings.delta_change_share * existing.size)
            changed = np.sort(rng.choice(existing, size=count, replace=False))
            log, movers = _apply_changes(changed, previous, moment, people, pool, crm, rng)
        stamp = tl.stamp(moment)
        rows = np.concatenate([new, changed])
        rows = rows[np.argsort(crm.modified_t[rows], kind="stable")]
        if k == 0 or rows.size:
            name = f"contact_{stamp}.csv"
            landing.csv("d365/contact", name, contact_table(rows, people, crm, pool, tl))
            files.append(name)
            if k:
                logs.append(log.assign(export_file=name))
        new_extras = extras[np.isin(extra_person, new)]
        primary = np.sort(np.concatenate([new, movers]))
        if k == 0 or primary.size:
            table = address_table(primary, new_extras, contact_ids, primary_ids, crm, pool, tl)
            landing.csv("d365/customeraddress", f"customeraddress_{stamp}.csv", table)
        window = cards[(opened > previous) & (opened <= moment)].sort_values("opened_t")
        if k == 0 or len(window):
            landing.csv(
                "d365/scv_cardaccount", f"scv_cardaccount_{stamp}.csv", card_table(window, tl)
            )
    changes = (
        pd.concat(logs, ignore_index=True)
        if logs
        else pd.DataFrame({c: pd.Series(dtype=object) for c in [*CHANGE_COLUMNS, "export_file"]})
    )
    return CrmResult(state=crm, changes=changes, export_files=files)
