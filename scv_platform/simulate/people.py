"""The simulated population: who each person really is and how their activity evolves.

One row per person. Times (``*_t``) are days since the history start; negative means
before it. The CRM, legacy, shop and card modules all render views of these people.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from scv_platform.settings import SimulationSettings
from scv_platform.simulate import names
from scv_platform.simulate.geography import STATES, pick_per_state
from scv_platform.simulate.segments import DECLINING, NEW_GROWING, SEGMENTS, segment_counts
from scv_platform.simulate.text import guids, pick, prefixed_ids, unique_random_ints, zero_pad
from scv_platform.simulate.timeline import LEGACY_EXPORT_OFFSET_DAYS, Timeline

EMPLOYMENT = np.array(["employed", "self-employed", "unemployed", "retired", "student"])
# age band upper bounds and employment weights per band (rows follow EMPLOYMENT)
_AGE_BANDS = np.array([23, 30, 60, 67, 200])
_EMPLOYMENT_BY_AGE = np.array(
    [
        [0.30, 0.03, 0.07, 0.00, 0.60],
        [0.72, 0.06, 0.07, 0.00, 0.15],
        [0.78, 0.12, 0.07, 0.01, 0.02],
        [0.45, 0.12, 0.05, 0.38, 0.00],
        [0.10, 0.06, 0.02, 0.82, 0.00],
    ]
)
YEAR = 365.25


def _zipf_pick(rng: np.random.Generator, values: np.ndarray, n: int, skew: float) -> np.ndarray:
    """Common names are drawn more often than rare ones."""
    weights = 1.0 / (np.arange(values.size) + 8.0) ** skew
    return values[pick(rng, weights, n)]


def street_lines(rng: np.random.Generator, n: int) -> np.ndarray:
    """Street address lines such as '42 Maple Ave' or '7 Elm St Apt 3B'."""
    number = np.floor(rng.lognormal(5.0, 1.3, n)).astype(np.int64) % 9999 + 1
    street = names.STREETS[rng.integers(0, names.STREETS.size, n)]
    suffix = names.STREET_SUFFIXES[pick(rng, names.STREET_SUFFIX_WEIGHTS, n)]
    line = np.strings.add(np.strings.add(number.astype(str), " "), street)
    line = np.strings.add(np.strings.add(line, " "), suffix)
    apartment = np.strings.add(
        np.strings.add(" Apt ", rng.integers(1, 40, n).astype(str)),
        np.array(["", "A", "B", "C"])[rng.integers(0, 4, n)],
    )
    return np.where(rng.random(n) < 0.12, np.strings.add(line, apartment), line)


def phone_numbers(rng: np.random.Generator, state_idx: np.ndarray) -> np.ndarray:
    """Ten-digit phone numbers with an area code of the person's state."""
    n = state_idx.size
    area = pick_per_state(rng, state_idx, STATES.area_codes).astype(str)
    exchange = rng.integers(201, 1000, n).astype(str)
    line = zero_pad(rng.integers(0, 10_000, n), 4)
    return np.strings.add(np.strings.add(area, exchange), line)


_ACCENTS = str.maketrans("áéíóúñüç", "aeiounuc")


def ascii_local(names_: np.ndarray) -> np.ndarray:
    """Lower-case ASCII e-mail local part of a name (no accents, apostrophes or spaces)."""
    lower = np.strings.lower(np.asarray(names_, dtype=str))
    for accented, plain in _ACCENTS.items():
        lower = np.strings.replace(lower, chr(accented), chr(plain))
    return np.strings.replace(np.strings.replace(lower, "'", ""), " ", "")


def email_addresses(
    rng: np.random.Generator, first: np.ndarray, last: np.ndarray, birth_year: np.ndarray
) -> np.ndarray:
    """Lower-case personal e-mail addresses in the usual local-part patterns."""
    n = first.size
    f = ascii_local(first)
    ln = ascii_local(last)
    two = zero_pad(rng.integers(1, 100, n), 2)
    initial = np.strings.slice(f, 0, 1)
    patterns = [
        np.strings.add(np.strings.add(f, "."), ln),
        np.strings.add(f, ln),
        np.strings.add(initial, ln),
        np.strings.add(np.strings.add(np.strings.add(f, "."), ln), two),
        np.strings.add(np.strings.add(f, "_"), ln),
        np.strings.add(f, birth_year.astype(str)),
        np.strings.add(np.strings.add(ln, initial), two),
    ]
    choice = pick(rng, [25, 12, 14, 15, 8, 12, 14], n)
    local = np.select([choice == k for k in range(1, len(patterns))], patterns[1:], patterns[0])
    domain = names.EMAIL_DOMAINS[pick(rng, names.EMAIL_DOMAIN_WEIGHTS, n)]
    email = np.strings.add(np.strings.add(local, "@"), domain)
    clash = pd.Series(email).duplicated(keep="first").to_numpy()
    if clash.any():  # make every address unique: person number before the domain
        number = np.strings.add(".", np.arange(n).astype(str))
        tagged = np.strings.add(np.strings.add(local, number), "@")
        email = np.where(clash, np.strings.add(tagged, domain), email)
    return email


def other_emails(rng: np.random.Generator, email: np.ndarray) -> np.ndarray:
    """A different address of the same person (another provider, maybe another local part)."""
    email = np.asarray(email, dtype=str)
    n = email.size
    if n == 0:
        return email
    local = np.strings.partition(email, "@")[0]
    suffix = np.where(rng.random(n) < 0.5, zero_pad(rng.integers(1, 100, n), 2), "")
    domain = names.EMAIL_DOMAINS[(rng.integers(1, names.EMAIL_DOMAINS.size, n))]
    current = np.strings.partition(email, "@")[2]
    domain = np.where(domain == current, "mail.com", domain)
    return np.strings.add(np.strings.add(np.strings.add(local, suffix), "@"), domain)


def _employment(rng: np.random.Generator, age: np.ndarray) -> np.ndarray:
    band = np.searchsorted(_AGE_BANDS, age, side="right")
    status = np.empty(age.size, dtype=object)
    for b in range(_AGE_BANDS.size):
        rows = np.flatnonzero(band == b)
        status[rows] = EMPLOYMENT[pick(rng, _EMPLOYMENT_BY_AGE[b], rows.size)]
    return status


def _choose(rng: np.random.Generator, candidates: np.ndarray, k: int) -> np.ndarray:
    k = int(min(max(k, 0), candidates.size))
    return np.sort(rng.choice(candidates, size=k, replace=False))


def build_people(
    settings: SimulationSettings, timeline: Timeline, pool: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """Draw every person: identity, address, segment, lifecycle and source memberships."""
    n = settings.customers
    days = timeline.days
    segment = rng.permutation(np.repeat(np.arange(len(SEGMENTS)), segment_counts(n)))
    is_new = segment == NEW_GROWING
    female = rng.random(n) < 0.52
    first = np.where(
        female,
        _zipf_pick(rng, names.FEMALE_FIRST, n, 0.9),
        _zipf_pick(rng, names.MALE_FIRST, n, 0.9),
    )
    last = _zipf_pick(rng, names.LAST, n, 0.7)

    age_mean = np.array([s.age_mean for s in SEGMENTS])[segment]
    age_sd = np.array([s.age_sd for s in SEGMENTS])[segment]
    min_age = 18.0 + days / YEAR + 0.05  # adult before the history starts
    age = np.clip(rng.normal(age_mean, age_sd), min_age, 90.0)
    end64 = np.datetime64(timeline.end, "D")
    birthdate = end64 - np.round(age * YEAR).astype(np.int64)
    birth_t = (birthdate - np.datetime64(timeline.start, "D")).astype(np.int64).astype(float)
    adult_t = birth_t + 18.0 * YEAR

    popularity = pool["popularity"].to_numpy()
    postal_idx = pick(rng, popularity, n)
    state_idx = pool["state_idx"].to_numpy()[postal_idx]

    # source memberships: legacy (pre-CRM, so never the newly joined), CRM, shop
    legacy_export_t = float(LEGACY_EXPORT_OFFSET_DAYS)
    eligible = np.flatnonzero(~is_new & (adult_t < legacy_export_t - 180))
    in_legacy = np.zeros(n, dtype=bool)
    in_legacy[_choose(rng, eligible, round(settings.legacy_share * n))] = True
    legacy_idx = np.flatnonzero(in_legacy)
    in_crm = ~in_legacy
    in_crm[_choose(rng, legacy_idx, round(settings.legacy_crm_overlap * legacy_idx.size))] = True
    is_shopper = np.zeros(n, dtype=bool)
    is_shopper[_choose(rng, np.arange(n), round(settings.shopper_share * n))] = True

    # lifecycle: joining, declining, churning
    join_t = np.full(n, np.nan)
    new_idx = np.flatnonzero(is_new)
    join_t[new_idx] = rng.uniform(1.0, max(2.0, 0.8 * days), new_idx.size)
    join_t[new_idx] = np.floor(join_t[new_idx]) + rng.uniform(8, 21, new_idx.size) / 24.0
    ramp_len = np.where(is_new, rng.uniform(45.0, 150.0, n), 0.0)

    churn_t = np.full(n, np.nan)
    decline_start_t = np.full(n, np.inf)
    decline_len = np.ones(n)
    decline_floor = np.ones(n)
    declining = np.flatnonzero(segment == DECLINING)
    churns = rng.random(declining.size) < 0.9
    churners, faders = declining[churns], declining[~churns]
    churn_t[churners] = rng.uniform(0.45, 0.97, churners.size) * days
    decline_len[churners] = np.minimum(rng.uniform(60, 200, churners.size), 0.8 * churn_t[churners])
    decline_start_t[churners] = churn_t[churners] - decline_len[churners]
    decline_floor[churners] = 0.0
    decline_start_t[faders] = rng.uniform(0.3, 0.7, faders.size) * days
    decline_len[faders] = days - decline_start_t[faders]
    decline_floor[faders] = rng.uniform(0.2, 0.4, faders.size)

    # CRM creation and legacy 'customer since', never before the 18th birthday
    created_t = np.full(n, np.nan)
    crm_only = in_crm & ~in_legacy & ~is_new
    low = np.minimum(np.maximum(-9 * YEAR, adult_t), -31.0)
    created_t[crm_only] = rng.uniform(low[crm_only], -30.0)
    overlap = in_crm & in_legacy
    created_t[overlap] = rng.uniform(legacy_export_t + 1, -1.0, overlap.sum())
    created_t[is_new] = join_t[is_new]
    created_t = np.where(np.isnan(created_t), np.nan, created_t + rng.uniform(0, 1, n) * ~is_new)
    since_t = np.full(n, np.nan)
    low = np.maximum(legacy_export_t - 12 * YEAR, adult_t)
    since_t[in_legacy] = rng.uniform(low[in_legacy], legacy_export_t - 30)
    join_t = np.where(is_new, join_t, np.fmin(created_t, since_t))

    contact_ids = np.full(n, "", dtype="U36")
    contact_ids[in_crm] = guids(rng, int(in_crm.sum()))
    legacy_numbers = unique_random_ints(rng, 2 * n, 100_000, 1_000_000)
    email = email_addresses(rng, first, last, birthdate.astype("datetime64[Y]").astype(int) + 1970)

    people = pd.DataFrame(
        {
            "person_id": prefixed_ids("P", np.arange(1, n + 1), 7),
            "segment_idx": segment,
            "gender": np.where(female, "F", "M"),
            "first_name": first,
            "last_name": last,
            "birthdate": birthdate,
            "employment_status": _employment(rng, age),
            "email": email,
            "phone": phone_numbers(rng, state_idx),
            "line1": street_lines(rng, n),
            "postal_idx": postal_idx,
            "in_crm": in_crm,
            "in_legacy": in_legacy,
            "is_shopper": is_shopper,
            "contactid": contact_ids,
            "legacy_cust_no": np.where(in_legacy, legacy_numbers[:n].astype(str), ""),
            "legacy_cust_no_2": np.where(in_legacy, legacy_numbers[n:].astype(str), ""),
            "shop_customer_id": prefixed_ids(
                "S", unique_random_ints(rng, n, 1_000_000, 9_000_000), 7
            ),
            "created_t": created_t,
            "since_t": since_t,
            "join_t": join_t,
            "churn_t": churn_t,
            "decline_start_t": decline_start_t,
            "decline_len": decline_len,
            "decline_floor": decline_floor,
            "ramp_len": ramp_len,
            "frequency": rng.gamma(3.0, 1.0 / 3.0, n),
            "spend": rng.lognormal(-0.06, 0.35, n),
        }
    )
    people.loc[~is_shopper, "shop_customer_id"] = ""
    return people
