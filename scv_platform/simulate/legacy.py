"""Legacy customer workbooks: messy pre-CRM records, by region, with repeats and traps.

Each workbook has a ``Customers`` sheet (title rows above the header) and other sheets
that must be ignored. People who are also CRM contacts appear with the usual variation:
nicknames, typos, ``Last, First``, other case, an old address or e-mail, another phone
format. Post codes are often numbers (leading zeros lost), sometimes ZIP+4 or empty;
dates are Excel dates or text in two formats.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import openpyxl
import pandas as pd

from scv_platform.simulate.crm import postal_in_state
from scv_platform.simulate.geography import NORTHEAST, SOUTH, STATES
from scv_platform.simulate.names import NICKNAMES
from scv_platform.simulate.people import other_emails, phone_numbers, street_lines
from scv_platform.simulate.text import format_phones, pick, typo, vary_case, zero_pad
from scv_platform.simulate.timeline import Timeline
from scv_platform.simulate.writer import Landing, repack_xlsx

ENTITY = "legacy"


@dataclass(frozen=True)
class WorkbookLayout:
    name: str
    region: str
    titles: tuple[tuple[str, ...], ...]
    header: tuple[str, ...]  # canonical order: see _FIELDS
    order: tuple[int, ...]  # column order as positions into the header
    last_first_share: float
    numeric_cust_no: bool
    extra_sheets: tuple[str, ...]
    customers_first: bool


_FIELDS = (
    "cust_no",
    "name",
    "email",
    "phone",
    "address",
    "town",
    "state",
    "post_code",
    "dob",
    "since",
    "card",
)
LAYOUTS = (
    WorkbookLayout(
        "legacy_customers_northeast.xlsx",
        "northeast",
        (("Legacy customer register - exported {export}",), ()),
        (
            "Cust No",
            "Customer Name",
            "E-mail",
            "Phone",
            "Address",
            "Town",
            "State",
            "Post Code",
            "DOB",
            "Customer Since",
            "Card Account",
        ),
        tuple(range(11)),
        0.3,
        True,
        ("Notes",),
        True,
    ),
    WorkbookLayout(
        "legacy_customers_south.xlsx",
        "south",
        (
            ("CustBase 4.2 - customer master, South region",),
            ("Exported {export} by batch job LGX-07",),
            (),
        ),
        (
            "Cust No",
            "Customer name",
            "Email",
            "Phone",
            "Address",
            "Town",
            "State",
            "Post code",
            "D.O.B.",
            "Customer since",
            "Card account",
        ),
        tuple(range(11)),
        0.7,
        False,
        ("Summary", "Notes"),
        False,
    ),
    WorkbookLayout(
        "legacy_customers_west_midwest.xlsx",
        "west_midwest",
        (("Legacy customer register (West & Midwest) - exported {export}",),),
        (
            "Cust No",
            "CUSTOMER NAME",
            "E-Mail",
            "PHONE",
            "ADDRESS",
            "TOWN",
            "STATE",
            "POST-CODE",
            "DOB",
            "CUSTOMER_SINCE",
            "Card Account",
        ),
        (0, 1, 3, 2, 4, 5, 6, 7, 8, 9, 10),
        0.5,
        False,
        ("Notes",),
        True,
    ),
)


def _region(state_idx: np.ndarray) -> np.ndarray:
    code = STATES.code[state_idx]
    return np.where(
        np.isin(code, list(NORTHEAST)),
        "northeast",
        np.where(np.isin(code, list(SOUTH)), "south", "west_midwest"),
    )


def _date_cells(rng: np.random.Generator, days64: np.ndarray, weights: list[float]) -> np.ndarray:
    """Excel dates, 'dd/mm/yyyy' text, 'yyyy-mm-dd' text or empty."""
    n = days64.size
    style = pick(rng, weights, n)
    iso = np.datetime_as_string(days64, unit="D")
    dmy = np.strings.add(
        np.strings.add(
            np.strings.add(np.strings.slice(iso, 8, 10), "/"), np.strings.slice(iso, 5, 7)
        ),
        np.strings.add("/", np.strings.slice(iso, 0, 4)),
    )
    out = np.empty(n, dtype=object)
    out[style == 0] = days64[style == 0].astype(object)
    out[style == 1] = dmy[style == 1]
    out[style == 2] = iso[style == 2]
    return out


def _post_code_cells(rng: np.random.Generator, postal: np.ndarray, plus4: np.ndarray) -> np.ndarray:
    """A number (leading zeros lost), 5-digit text, ZIP+4 text or empty."""
    style = pick(rng, [50, 30, 12, 8], postal.size)
    out = np.empty(postal.size, dtype=object)
    out[style == 0] = postal[style == 0].astype(np.int64).astype(object)
    out[style == 1] = postal[style == 1]
    zip4 = np.strings.add(np.strings.add(postal, "-"), plus4)
    out[style == 2] = zip4[style == 2]
    return out


def _first_names(rng: np.random.Generator, first: np.ndarray, nickname_share: float) -> np.ndarray:
    nick = np.array([NICKNAMES.get(f, f) for f in np.unique(first)])
    lookup = dict(zip(np.unique(first), nick, strict=True))
    nicknames = pd.Series(first).map(lookup).to_numpy().astype(str)
    return np.where(rng.random(first.size) < nickname_share, nicknames, first)


def legacy_records(
    people: pd.DataFrame,
    pool: pd.DataFrame,
    cards: pd.DataFrame,
    tl: Timeline,
    rng: np.random.Generator,
    person: np.ndarray,
    cust_no: np.ndarray,
) -> pd.DataFrame:
    """One rendered legacy row per entry of ``person`` (repeats re-render with new noise)."""
    n = person.size
    p = {c: people[c].to_numpy()[person] for c in people.columns}
    crm = p["in_crm"]
    first = _first_names(rng, p["first_name"].astype(str), 0.15)
    first = np.where(rng.random(n) < 0.08, typo(first, rng), first)
    last = np.where(rng.random(n) < 0.06, typo(p["last_name"].astype(str), rng), p["last_name"])
    last = np.asarray(last, dtype=str)

    email = p["email"].astype(str)
    old_email = other_emails(rng, email)
    email_style = np.where(crm, pick(rng, [55, 25, 20], n), pick(rng, [88, 0, 12], n))
    email = np.select([email_style == 1, email_style == 2], [old_email, ""], email)
    email = vary_case(email, pick(rng, [80, 10, 2, 8], n))

    # addresses: CRM contacts are often still at an older address in the legacy system
    home = p["postal_idx"]
    state_idx = pool["state_idx"].to_numpy()[home]
    moved = crm & (rng.random(n) < 0.5)
    nearby = postal_in_state(rng, pool, state_idx)
    anywhere = pick(rng, pool["popularity"].to_numpy(), n)
    old_postal = np.where(rng.random(n) < 0.7, nearby, anywhere)
    postal_idx = np.where(moved, old_postal, home)
    line1 = np.where(moved, street_lines(rng, n), p["line1"])
    state_idx = pool["state_idx"].to_numpy()[postal_idx]

    digits = np.where(rng.random(n) < 0.1, phone_numbers(rng, state_idx), p["phone"])
    phone = format_phones(digits.astype("U10"), rng.integers(0, 6, n))
    phone = np.where(rng.random(n) < 0.08, None, phone)

    code, full = STATES.code[state_idx], STATES.name[state_idx]
    style = pick(rng, [60, 25, 10, 5], n)
    state = np.select(
        [style == 1, style == 2, style == 3],
        [full, np.strings.lower(code), np.strings.upper(full)],
        code,
    )
    upper = rng.random(n) < 0.2
    postal = pool["postal_code"].to_numpy()[postal_idx].astype(str)
    plus4 = zero_pad(rng.integers(1, 10_000, n), 4)

    # the main card (cards are sorted by holder, main card first)
    main_card = np.searchsorted(cards["person"].to_numpy(), person, side="left")
    card_ids = cards["scv_cardaccountid"].to_numpy()[main_card]
    card = np.where(rng.random(n) < 0.45, card_ids, None)

    since = tl.to_date64(p["since_t"])
    return pd.DataFrame(
        {
            "cust_no": cust_no,
            "person": person,
            "first": first,
            "last": last,
            "email": np.where(email == "", None, email),
            "phone": phone,
            "address": np.where(upper, np.strings.upper(line1.astype(str)), line1),
            "town": vary_case(
                pool["city"].to_numpy()[postal_idx].astype(str), np.where(upper, 1, 0)
            ),
            "state": state,
            "post_code": _post_code_cells(rng, postal, plus4),
            "dob": _date_cells(rng, p["birthdate"].astype("datetime64[D]"), [40, 25, 20, 15]),
            "since": _date_cells(rng, since, [50, 20, 20, 10]),
            "card": card,
            "region": _region(state_idx),
        }
    )


def _names(
    rng: np.random.Generator, first: np.ndarray, last: np.ndarray, share: float
) -> np.ndarray:
    """'Last, First' or 'First Last', sometimes in capitals or lower case."""
    n = first.size
    last_first = np.strings.add(np.strings.add(last, ", "), first)
    first_last = np.strings.add(np.strings.add(first, " "), last)
    name = np.where(rng.random(n) < share, last_first, first_last)
    return vary_case(name, pick(rng, [82, 15, 3], n))


def _write_workbook(
    layout: WorkbookLayout,
    rows: pd.DataFrame,
    tl: Timeline,
    landing: Landing,
    rng: np.random.Generator,
) -> None:
    export = tl.legacy_export_date
    cells = {
        "cust_no": rows["cust_no"].to_numpy().astype(np.int64 if layout.numeric_cust_no else str),
        "name": _names(
            rng,
            rows["first"].to_numpy().astype(str),
            rows["last"].to_numpy().astype(str),
            layout.last_first_share,
        ),
    }
    for field in _FIELDS[2:]:
        cells[field] = rows[field].to_numpy()
    columns = [cells[_FIELDS[i]].astype(object) for i in layout.order]
    workbook = openpyxl.Workbook(write_only=True)
    workbook.properties.creator = "CustBase 4.2"
    workbook.properties.created = datetime(export.year, export.month, export.day)
    if not layout.customers_first:
        _extra_sheet(workbook, layout.extra_sheets[0], layout, rows, export.isoformat())
    sheet = workbook.create_sheet("Customers")
    for title in layout.titles:
        sheet.append([text.format(export=export.isoformat()) for text in title])
    sheet.append([layout.header[i] for i in layout.order])
    for values in zip(*columns, strict=True):  # openpyxl takes rows; the data is prepared
        sheet.append(values)
    for name in layout.extra_sheets[0 if layout.customers_first else 1 :]:
        _extra_sheet(workbook, name, layout, rows, export.isoformat())
    path = landing.root / ENTITY / layout.name
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    repack_xlsx(path, export)
    landing.log.add(ENTITY, len(rows))


def _extra_sheet(
    workbook: openpyxl.Workbook, name: str, layout: WorkbookLayout, rows: pd.DataFrame, export: str
) -> None:
    """Sheets the platform must ignore (one even has a 'Cust No' column)."""
    sheet = workbook.create_sheet(name)
    if name == "Summary":
        sheet.append(["Region", layout.region])
        sheet.append(["Customers", len(rows)])
        sheet.append(["Exported", export])
        return
    sheet.append(["Notes"])
    sheet.append(["Records flagged by customer service before the export."])
    sheet.append(["Cust No", "Comment"])
    flagged = rows["cust_no"].to_numpy()[:: max(len(rows) // 4, 1)][:4]
    comments = ["DO NOT MAIL", "Deceased - verify", "Address returned", "Duplicate?"]
    for cust_no, comment in zip(flagged.tolist(), comments, strict=False):
        sheet.append([cust_no, comment])


def _some(rng: np.random.Generator, n: int, share: float) -> np.ndarray:
    """Sorted random positions: ``share`` of n, at least one when n >= 10."""
    count = max(round(share * n), 1 if n >= 10 else 0)
    return np.sort(rng.choice(n, size=min(count, n), replace=False))


def write_legacy(
    people: pd.DataFrame,
    pool: pd.DataFrame,
    cards: pd.DataFrame,
    tl: Timeline,
    landing: Landing,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Write the workbooks; returns the legacy identities (Cust No, person index)."""
    legacy = np.flatnonzero(people["in_legacy"].to_numpy())
    numbers = people["legacy_cust_no"].to_numpy()
    base = legacy_records(people, pool, cards, tl, rng, legacy, numbers[legacy])
    # the same person again under a second Cust No, in the same workbook
    again = _some(rng, legacy.size, 0.03)
    second = legacy_records(
        people,
        pool,
        cards,
        tl,
        rng,
        legacy[again],
        people["legacy_cust_no_2"].to_numpy()[legacy[again]],
    )
    second["region"] = base["region"].to_numpy()[again]
    # exact repeats of a row (same Cust No), adjacent or appended at the end
    repeats = base.iloc[_some(rng, legacy.size, 0.02)]
    rows = pd.concat([base, second, repeats], ignore_index=True)
    late = np.zeros(len(rows), dtype=bool)
    late[len(base) + len(second) :] = rng.random(len(repeats)) < 0.5
    rows["sort_key"] = np.where(late, 10_000_000, 0) + rows["cust_no"].astype(np.int64)
    rows = rows.sort_values("sort_key", kind="stable", ignore_index=True)
    for layout in LAYOUTS:
        _write_workbook(layout, rows[rows["region"] == layout.region], tl, landing, rng)
    identities = rows.drop_duplicates("cust_no")[["cust_no", "person"]]
    return identities.sort_values("cust_no", ignore_index=True)
