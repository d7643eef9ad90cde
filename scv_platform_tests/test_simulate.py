"""The landing-zone simulator: determinism, the file contract and the behaviour it promises."""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from scv_platform.settings import SimulationSettings
from scv_platform.simulate import SimulationReport, simulate
from scv_platform.simulate.segments import SEGMENTS

SETTINGS = SimulationSettings(
    customers=150,
    days=60,
    end=date(2024, 3, 31),
    seed=11,
    delta_exports=4,
    transaction_file_format="mixed",
    quantity_outlier_rate=0.03,
    total_mismatch_rate=0.03,
    empty_total_rate=0.03,
    unknown_product_rate=0.03,
    unknown_shopper_rate=0.03,
    transaction_amount_outlier_rate=0.01,
    weather_missing_postal_share=0.1,
    weather_missing_day_share=0.05,
)

EXPORT = r"\d{8}T\d{6}"
DAY = r"(?P<day>\d{4}-\d{2}-\d{2})"
NAME_PATTERNS = {
    "d365/contact": rf"contact_{EXPORT}\.csv",
    "d365/customeraddress": rf"customeraddress_{EXPORT}\.csv",
    "d365/scv_cardaccount": rf"scv_cardaccount_{EXPORT}\.csv",
    "legacy": r"[^/]+\.xlsx",
    "shop/products": rf"products_{EXPORT}\.csv",
    "shop/orders": rf"orders_{DAY}\.csv",
    "cards/transactions": rf"transactions_{DAY}\.(csv|csv\.gz|parquet)",
    "weather/forecast_day": rf"forecast_day_{DAY}\.csv",
}
COLUMNS = {
    "d365/contact": [
        "contactid",
        "firstname",
        "lastname",
        "emailaddress1",
        "telephone1",
        "telephone2",
        "mobilephone",
        "address1_line1",
        "address1_city",
        "address1_stateorprovince",
        "address1_postalcode",
        "address1_country",
        "birthdate",
        "scv_employmentstatus",
        "createdon",
        "modifiedon",
        "statecode",
    ],
    "d365/customeraddress": [
        "customeraddressid",
        "parentid",
        "addresstypecode",
        "line1",
        "city",
        "stateorprovince",
        "postalcode",
        "country",
        "modifiedon",
    ],
    "d365/scv_cardaccount": [
        "scv_cardaccountid",
        "contactid",
        "scv_legacycustno",
        "scv_cardtype",
        "scv_creditlimit",
        "scv_openedon",
        "statecode",
        "modifiedon",
    ],
    "shop/products": ["product_id", "product_name", "category", "brand", "list_price"],
    "shop/orders": [
        "order_id",
        "order_ts",
        "shop_customer_id",
        "customer_email",
        "product_id",
        "quantity",
        "unit_price",
        "total_amount",
        "order_status",
    ],
    "cards/transactions": [
        "transaction_id",
        "card_account_id",
        "transaction_ts",
        "amount",
        "merchant_name",
        "merchant_category",
        "mcc",
        "channel",
        "status",
        "decline_reason",
    ],
    "weather/forecast_day": [
        "postal_code",
        "country",
        "date_valid_std",
        "min_temperature_air_2m_f",
        "avg_temperature_air_2m_f",
        "max_temperature_air_2m_f",
        "tot_precipitation_in",
        "tot_snowfall_in",
        "avg_humidity_relative_2m_pct",
        "avg_wind_speed_10m_mph",
        "avg_cloud_cover_tot_pct",
    ],
}
LEGACY_HEADER = [
    "custno",
    "customername",
    "email",
    "phone",
    "address",
    "town",
    "state",
    "postcode",
    "dob",
    "customersince",
    "cardaccount",
]
GUID = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
TIMESTAMP = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z?"
DATE = r"\d{4}-\d{2}-\d{2}"
MONEY = r"-?\d+\.\d{2}"
DECIMAL = r"-?\d+\.\d{1,2}"
INTEGER = r"-?\d+"
TYPES = {
    "d365/contact": {
        "contactid": GUID,
        "birthdate": DATE,
        "createdon": TIMESTAMP,
        "modifiedon": TIMESTAMP,
        "statecode": "[01]",
        "address1_postalcode": r"\d{5}(-\d{4})?",
    },
    "d365/customeraddress": {
        "customeraddressid": GUID,
        "parentid": GUID,
        "addresstypecode": "[1234]",
        "modifiedon": TIMESTAMP,
    },
    "d365/scv_cardaccount": {
        "scv_cardaccountid": r"CA\d{10}",
        "contactid": GUID,
        "scv_creditlimit": MONEY,
        "scv_openedon": DATE,
        "statecode": "[01]",
        "modifiedon": TIMESTAMP,
        "scv_cardtype": "Classic|Gold|Platinum|Travel Rewards",
    },
    "shop/products": {"list_price": MONEY},
    "shop/orders": {
        "order_ts": TIMESTAMP,
        "quantity": INTEGER,
        "unit_price": MONEY,
        "total_amount": MONEY,
        "order_status": "placed|shipped|delivered|cancelled|returned",
    },
    "cards/transactions": {
        "transaction_ts": TIMESTAMP,
        "amount": MONEY,
        "mcc": r"\d{4}",
        "channel": "online|in_store|mobile",
        "status": "approved|declined",
    },
    "weather/forecast_day": {
        "postal_code": r"\d{5}",
        "date_valid_std": DATE,
        **{c: DECIMAL for c in COLUMNS["weather/forecast_day"][3:]},
    },
}


@dataclass
class Run:
    landing: Path
    truth: Path
    report: SimulationReport
    settings: SimulationSettings


def _run(base: Path, settings: SimulationSettings) -> Run:
    report = simulate(settings, base / "landing")  # truth next to the landing zone
    return Run(base / "landing", base / "truth", report, settings)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return _run(tmp_path_factory.mktemp("sim"), SETTINGS)


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def _read_text_table(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], compression="infer")


def _read(run: Run, entity: str) -> pd.DataFrame:
    """Every file of an entity as text columns, with the file name."""
    frames = []
    for path in sorted((run.landing / entity).iterdir()):
        if path.name.endswith(".parquet"):
            frame = pq.read_table(path).to_pandas()
            frame["transaction_ts"] = frame["transaction_ts"].dt.strftime("%Y-%m-%dT%H:%M:%S")
            frame["amount"] = frame["amount"].map(lambda v: f"{v:.2f}")
            frame = frame.astype(object).where(frame.notna(), np.nan)
        else:
            frame = _read_text_table(path)
        frames.append(frame.assign(_file=path.name))
    return pd.concat(frames, ignore_index=True)


def _truth(run: Run, name: str) -> pd.DataFrame:
    return pd.read_parquet(run.truth / f"{name}.parquet")


def _header(path: Path) -> list[str]:
    if path.name.endswith(".parquet"):
        return pq.read_schema(path).names
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", newline="") as handle:
        return next(csv.reader(handle))


# --- determinism --------------------------------------------------------------------------


def test_same_seed_gives_identical_bytes(run: Run, tmp_path: Path) -> None:
    again = _run(tmp_path, SETTINGS)
    first, second = _files(run.landing), _files(again.landing)
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []
    assert _files(run.truth) == _files(again.truth)


def test_another_seed_gives_other_data(run: Run, tmp_path: Path) -> None:
    other = _run(tmp_path, replace(SETTINGS, seed=SETTINGS.seed + 1))
    first, second = _files(run.landing), _files(other.landing)
    daily = [k for k in first if k.startswith("cards/transactions/") and k in second]
    assert daily, "the two runs share no transaction file names"
    assert sum(first[k] != second[k] for k in daily) == len(daily)
    assert (
        _truth(run, "people")["email"].tolist()
        != pd.read_parquet(other.truth / "people.parquet")["email"].tolist()
    )


# --- the file contract --------------------------------------------------------------------


def test_every_file_follows_the_naming_contract(run: Run) -> None:
    found: dict[str, list[str]] = {}
    for path in sorted(run.landing.rglob("*")):
        if path.is_file():
            folder = str(path.parent.relative_to(run.landing))
            assert folder in NAME_PATTERNS, f"unexpected folder {folder}"
            assert re.fullmatch(NAME_PATTERNS[folder], path.name), path.name
            found.setdefault(folder, []).append(path.name)
    assert found.keys() == NAME_PATTERNS.keys()
    days = {(SETTINGS.start + pd.Timedelta(days=d)).isoformat() for d in range(SETTINGS.days)}
    for folder in ("shop/orders", "cards/transactions", "weather/forecast_day"):
        named = {re.fullmatch(NAME_PATTERNS[folder], n).group("day") for n in found[folder]}
        assert named == days, f"{folder}: not one file per day"
    assert len(found["d365/contact"]) == 1 + SETTINGS.delta_exports
    assert found["d365/contact"][0] == f"contact_{SETTINGS.start:%Y%m%d}T000000.csv"
    assert 2 <= len(found["legacy"]) <= 3


def test_headers_are_exactly_the_contract_columns(run: Run) -> None:
    for entity, columns in COLUMNS.items():
        for path in sorted((run.landing / entity).iterdir()):
            assert _header(path) == columns, path.name


def test_values_parse_as_their_contract_types(run: Run) -> None:
    for entity, rules in TYPES.items():
        frame = _read(run, entity)
        assert len(frame) > 0, entity
        for column, pattern in rules.items():
            values = frame[column].dropna()
            bad = values[~values.str.fullmatch(pattern)]
            assert bad.empty, f"{entity}.{column}: {bad.head(3).tolist()}"
            if pattern == TIMESTAMP:
                pd.to_datetime(values.str.rstrip("Z"), format="%Y-%m-%dT%H:%M:%S")
            if pattern == DATE:
                pd.to_datetime(values, format="%Y-%m-%d")
    contacts = _read(run, "d365/contact")
    assert contacts["createdon"].notna().all() and contacts["modifiedon"].notna().all()
    assert (contacts["modifiedon"] >= contacts["createdon"]).all()
    assert contacts["emailaddress1"].isna().any()  # some contacts have no e-mail
    assert contacts["address1_stateorprovince"].str.len().gt(2).any()  # full state names too


def test_parquet_transactions_keep_mcc_as_text(run: Run) -> None:
    parquet = sorted((run.landing / "cards/transactions").glob("*.parquet"))
    assert parquet
    schema = pq.read_schema(parquet[0])
    assert schema.field("mcc").type == pa.string()
    assert pa.types.is_timestamp(schema.field("transaction_ts").type)
    assert pa.types.is_decimal(schema.field("amount").type)


def test_mixed_transaction_formats_are_all_readable(run: Run) -> None:
    suffixes = {p.name.split(".", 1)[1] for p in (run.landing / "cards/transactions").iterdir()}
    assert suffixes == {"csv", "csv.gz", "parquet"}
    tx = _read(run, "cards/transactions")
    assert tx["transaction_id"].is_unique
    assert (tx["transaction_ts"].str[:10] == tx["_file"].str[13:23]).all()
    assert len(tx) == run.report.entities["cards/transactions"]["rows"]


# --- the people behind the data -----------------------------------------------------------


def test_segment_shares(run: Run) -> None:
    shares = _truth(run, "people")["segment"].value_counts(normalize=True)
    for segment in SEGMENTS:
        assert shares[segment.name] == pytest.approx(segment.share, abs=0.01)


def test_approval_rate_and_decline_reasons(run: Run) -> None:
    tx = _read(run, "cards/transactions")
    approved = tx["status"] == "approved"
    assert approved.mean() == pytest.approx(SETTINGS.approval_rate, abs=0.02)
    assert tx.loc[approved, "decline_reason"].isna().all()
    assert tx.loc[~approved, "decline_reason"].notna().all()


def test_volume_follows_the_settings(run: Run) -> None:
    tx = _read(run, "cards/transactions")
    expected = SETTINGS.transactions_per_customer * SETTINGS.customers * SETTINGS.days / 548
    assert len(tx) == pytest.approx(expected, rel=0.15)
    cards = _read(run, "d365/scv_cardaccount")
    assert len(cards) / SETTINGS.customers == pytest.approx(SETTINGS.card_multiplier, abs=0.15)


def _activity(run: Run) -> pd.DataFrame:
    """Card transactions and orders as (person_id, day)."""
    cards = _truth(run, "card_accounts")
    tx = _read(run, "cards/transactions").merge(
        cards, left_on="card_account_id", right_on="scv_cardaccountid"
    )
    shop = _truth(run, "identity_map").query("source_system == 'shop'")
    orders = _read(run, "shop/orders").merge(
        shop, left_on="shop_customer_id", right_on="source_record_id"
    )
    both = pd.concat(
        [
            tx[["person_id", "transaction_ts"]].rename(columns={"transaction_ts": "ts"}),
            orders[["person_id", "order_ts"]].rename(columns={"order_ts": "ts"}),
        ]
    )
    return both.assign(day=pd.to_datetime(both["ts"].str[:10]))


def test_churned_customers_are_silent_after_their_churn_date(run: Run) -> None:
    people = _truth(run, "people")
    churned = people.dropna(subset=["churn_date"])
    assert len(churned) > 0
    activity = _activity(run).merge(churned[["person_id", "churn_date"]], on="person_id")
    assert len(activity) > 0  # they were active before
    late = activity[activity["day"] > pd.to_datetime(activity["churn_date"])]
    assert late.empty, late.head()


def test_new_customers_appear_only_from_their_join_date(run: Run) -> None:
    people = _truth(run, "people")
    new = people[people["segment"] == "New & Growing"]
    joined = pd.to_datetime(new["join_date"])
    assert (joined > pd.Timestamp(SETTINGS.start)).all()
    activity = _activity(run).merge(new[["person_id", "join_date"]], on="person_id")
    assert len(activity) > 0
    early = activity[activity["day"] < pd.to_datetime(activity["join_date"])]
    assert early.empty, early.head()
    contacts = _read(run, "d365/contact").merge(new, on="contactid")
    assert set(contacts["person_id"]) == set(new["person_id"])
    assert (
        pd.to_datetime(contacts["createdon"].str[:10]) == pd.to_datetime(contacts["join_date"])
    ).all()
    assert not contacts["_file"].str.endswith("T000000.csv").any()  # not in the full export


def test_declining_customers_spend_less_at_the_end(run: Run) -> None:
    people = _truth(run, "people")
    activity = _activity(run).merge(people[["person_id", "segment"]], on="person_id")
    middle = pd.Timestamp(SETTINGS.start) + pd.Timedelta(days=SETTINGS.days // 2)
    counts = activity.assign(late=activity["day"] >= middle).groupby(["segment", "late"]).size()
    assert counts["Declining", True] < 0.8 * counts["Declining", False]
    assert counts["New & Growing", True] > counts["New & Growing", False]


# --- CRM ------------------------------------------------------------------------------------


def test_cards_link_to_contacts_or_legacy_customers(run: Run) -> None:
    cards = _read(run, "d365/scv_cardaccount")
    contacts = set(_read(run, "d365/contact")["contactid"])
    assert set(cards["contactid"].dropna()) <= contacts
    assert cards["contactid"].isna().any()
    assert cards.loc[cards["contactid"].isna(), "scv_legacycustno"].notna().all()
    both = cards["contactid"].notna() & cards["scv_legacycustno"].notna()
    assert both.any()  # some legacy customers who are CRM contacts keep the legacy number
    truth = _truth(run, "card_accounts")
    assert set(truth["scv_cardaccountid"]) == set(cards["scv_cardaccountid"])


def test_delta_exports_carry_the_recorded_changes(run: Run) -> None:
    contacts = _read(run, "d365/contact")
    changes = _truth(run, "contact_changes")
    assert len(changes) > 0 and set(changes["change"]) == {"moved", "new_email"}
    rows = changes.merge(
        contacts, left_on=["contactid", "export_file"], right_on=["contactid", "_file"]
    )
    assert len(rows) == len(changes)
    stamp = pd.to_datetime(rows["modifiedon_y"], format="%Y-%m-%dT%H:%M:%S")
    assert (stamp == rows["modifiedon_x"]).all()
    moved = rows[rows["change"] == "moved"].dropna(subset=["address1_postalcode"])
    assert (moved["address1_postalcode"].str[:5] == moved["new_postal_code"]).all()
    mailed = rows[rows["change"] == "new_email"].dropna(subset=["emailaddress1"])
    typed = mailed["emailaddress1"].str.strip().str.lower()
    assert (typed == mailed["new_email"]).all()


def test_customer_addresses_belong_to_contacts(run: Run) -> None:
    addresses = _read(run, "d365/customeraddress")
    contacts = _read(run, "d365/contact")
    assert set(addresses["parentid"]) <= set(contacts["contactid"])
    primary = addresses[addresses["addresstypecode"] == "3"]
    assert set(primary["parentid"]) == set(contacts["contactid"])
    per_contact = (
        addresses.drop_duplicates("customeraddressid").shape[0] / contacts["contactid"].nunique()
    )
    assert per_contact == pytest.approx(SETTINGS.address_multiplier, abs=0.2)


# --- legacy workbooks -----------------------------------------------------------------------


def _workbooks(run: Run) -> dict[str, list[tuple[object, ...]]]:
    sheets = {}
    for path in sorted((run.landing / "legacy").glob("*.xlsx")):
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        assert "Customers" in book.sheetnames and len(book.sheetnames) >= 2, path.name
        sheets[path.name] = list(book["Customers"].iter_rows(values_only=True))
        book.close()
    return sheets


def _key(text: object) -> str:
    return re.sub(r"[^a-z0-9]", "", str(text).lower())


def _legacy_rows(run: Run) -> pd.DataFrame:
    frames = []
    for name, rows in _workbooks(run).items():
        at = next(i for i, r in enumerate(rows[:10]) if any(v == "Cust No" for v in r))
        header = [_key(v) for v in rows[at]]
        frames.append(pd.DataFrame(rows[at + 1 :], columns=header).assign(_file=name))
    return pd.concat(frames, ignore_index=True)


def test_legacy_workbooks_have_titles_above_the_header(run: Run) -> None:
    for name, rows in _workbooks(run).items():
        at = next(i for i, r in enumerate(rows[:10]) if any(v == "Cust No" for v in r))
        assert at >= 1, f"{name}: no title row"
        assert isinstance(rows[0][0], str) and rows[0][0].strip(), name
        assert sorted(_key(v) for v in rows[at] if v) == sorted(LEGACY_HEADER), name


def test_legacy_cells_are_messy_as_promised(run: Run) -> None:
    legacy = _legacy_rows(run)
    post = legacy["postcode"].dropna()
    numbers = post[post.map(lambda v: isinstance(v, int))]
    assert (numbers < 10_000).any()  # leading zero lost
    assert post.map(lambda v: isinstance(v, str) and "-" in v).any()  # ZIP+4
    assert legacy["postcode"].isna().any()
    for column in ("dob", "customersince"):
        values = legacy[column].dropna()
        assert values.map(lambda v: isinstance(v, datetime)).any(), column
        assert values.map(
            lambda v: isinstance(v, str) and re.fullmatch(r"\d\d/\d\d/\d{4}", v) is not None
        ).any()
        assert values.map(lambda v: isinstance(v, str) and re.fullmatch(DATE, v) is not None).any()
    assert legacy["customername"].str.contains(", ").any()
    assert legacy.duplicated(["custno", "_file"]).any()  # an exact repeat
    identities = _truth(run, "identity_map").query("source_system == 'legacy'")
    assert identities["person_id"].duplicated().any()  # one person, two Cust Nos
    assert set(legacy["custno"].astype(str)) == set(identities["source_record_id"])
    cards = set(_truth(run, "card_accounts")["scv_cardaccountid"])
    assert set(legacy["cardaccount"].dropna()) <= cards


def test_legacy_overlap_with_crm(run: Run) -> None:
    people = _truth(run, "people")
    legacy = people[people["in_legacy"]]
    assert len(legacy) == round(SETTINGS.legacy_share * SETTINGS.customers)
    overlap = legacy["in_crm"].sum()
    assert overlap == round(SETTINGS.legacy_crm_overlap * len(legacy))


# --- shop -----------------------------------------------------------------------------------


def test_anomalies_listed_in_the_truth_are_in_the_files(run: Run) -> None:
    anomalies = _truth(run, "anomalies")
    orders = _read(run, "shop/orders").set_index("order_id")
    catalogue = set(_read(run, "shop/products")["product_id"])
    known_shoppers = set(_truth(run, "people")["shop_customer_id"].dropna())
    for kind in ("quantity_outlier", "total_mismatch", "empty_total", "unknown_product"):
        ids = anomalies.loc[anomalies["kind"] == kind, "record_id"]
        rate = getattr(SETTINGS, f"{kind}_rate")
        regular = orders["shop_customer_id"].isin(known_shoppers).sum()
        assert len(ids) == round(rate * regular), kind
        rows = orders.loc[ids]
        if kind == "quantity_outlier":
            assert (rows["quantity"].astype(int) >= 40).all()
        elif kind == "total_mismatch":
            product = rows["quantity"].astype(int) * rows["unit_price"].astype(float)
            assert ((rows["total_amount"].astype(float) - product).abs() > 0.01).all()
        elif kind == "empty_total":
            assert rows["total_amount"].isna().all()
        else:
            assert not rows["product_id"].isin(catalogue).any()
    unknown = orders.loc[anomalies.loc[anomalies["kind"] == "unknown_shopper", "record_id"]]
    assert len(unknown) > 0 and not unknown["shop_customer_id"].isin(known_shoppers).any()
    clean = orders.drop(anomalies["record_id"], errors="ignore")
    assert clean["total_amount"].notna().all()
    assert clean["product_id"].isin(catalogue).all()
    total = clean["quantity"].astype(int) * clean["unit_price"].astype(float)
    assert ((clean["total_amount"].astype(float) - total).abs() < 0.011).all()
    assert clean["shop_customer_id"].isin(known_shoppers).all()


def test_transaction_amount_outliers_stand_out(run: Run) -> None:
    anomalies = _truth(run, "anomalies").query("kind == 'transaction_amount_outlier'")
    tx = _read(run, "cards/transactions").assign(amount=lambda f: f["amount"].astype(float))
    flagged = tx["transaction_id"].isin(anomalies["record_id"])
    assert (
        flagged.sum() == len(anomalies) == round(SETTINGS.transaction_amount_outlier_rate * len(tx))
    )
    median = tx[~flagged].groupby("merchant_category")["amount"].median()
    ratio = tx[flagged]["amount"] / tx[flagged]["merchant_category"].map(median)
    assert (ratio > 5).all()


def test_shoppers_mostly_use_their_own_email(run: Run) -> None:
    people = _truth(run, "people").dropna(subset=["shop_customer_id"])
    orders = _read(run, "shop/orders").merge(
        people, left_on="shop_customer_id", right_on="shop_customer_id"
    )
    same = orders["customer_email"].str.strip().str.lower() == orders["initial_email"]
    assert 0.7 < same.mean() < 1.0


# --- weather --------------------------------------------------------------------------------


def test_weather_covers_postal_codes_with_the_configured_gaps(run: Run) -> None:
    weather = _read(run, "weather/forecast_day")
    gaps = _truth(run, "weather_gaps")
    never = set(gaps.loc[gaps["date"].isna(), "postal_code"])
    covered = set(weather["postal_code"])
    assert never and not never & covered
    codes = len(never | covered)
    assert len(never) == round(SETTINGS.weather_missing_postal_share * codes)
    assert set(_truth(run, "people")["postal_code"]) <= never | covered
    missing = gaps.dropna(subset=["date"])
    assert len(weather) + len(missing) == len(covered) * SETTINGS.days
    assert len(missing) / (len(covered) * SETTINGS.days) == pytest.approx(
        SETTINGS.weather_missing_day_share, abs=0.03
    )
    keys = set(zip(weather["postal_code"], weather["date_valid_std"], strict=True))
    assert not any(
        (c, d.isoformat()) in keys
        for c, d in zip(missing["postal_code"], missing["date"], strict=True)
    )


def test_weather_values_are_plausible(run: Run) -> None:
    w = _read(run, "weather/forecast_day")
    low, avg, high = (w[f"{k}_temperature_air_2m_f"].astype(float) for k in ("min", "avg", "max"))
    assert (low <= avg).all() and (avg <= high).all()
    assert low.min() > -60 and high.max() < 125
    snow = w["tot_snowfall_in"].astype(float)
    assert (avg[snow > 0] <= 33).all()
    assert w["avg_humidity_relative_2m_pct"].astype(float).between(0, 100).all()


# --- report and truth files ----------------------------------------------------------------


def test_report_counts_match_the_files(run: Run) -> None:
    report = run.report
    assert report.start == SETTINGS.start and report.end == SETTINGS.end
    for entity, counts in report.entities.items():
        on_disk = [p for p in (run.landing / entity).iterdir() if p.is_file()]
        assert counts["files"] == len(on_disk), entity
    assert report.entities["shop/orders"]["rows"] == len(_read(run, "shop/orders"))
    lines = report.summary_lines()
    assert any("cards/transactions" in line for line in lines)
    saved = json.loads((run.truth / "simulation.json").read_text())
    assert saved["settings"]["seed"] == SETTINGS.seed
    assert saved["report"]["entities"] == report.entities
    for name in ("people", "identity_map", "card_accounts", "anomalies", "contact_changes"):
        assert (run.truth / f"{name}.parquet").is_file()


def test_identity_map_covers_every_source_identity(run: Run) -> None:
    ids = _truth(run, "identity_map")
    assert not ids.duplicated(["source_system", "source_record_id"]).any()
    contacts = set(_read(run, "d365/contact")["contactid"])
    assert set(ids.loc[ids["source_system"] == "d365", "source_record_id"]) == contacts
    shoppers = set(_read(run, "shop/orders")["shop_customer_id"])
    shop = ids[ids["source_system"] == "shop"]
    assert shoppers <= set(shop["source_record_id"])
    assert shop["person_id"].isna().any()  # unknown shoppers belong to nobody


def test_rerun_replaces_an_earlier_landing_zone(tmp_path: Path) -> None:
    shorter = replace(SETTINGS, days=20, customers=60)
    _run(tmp_path, SETTINGS)
    second = _run(tmp_path, shorter)
    files = list((second.landing / "cards/transactions").iterdir())
    assert len(files) == shorter.days
    buffer = io.StringIO("\n".join(second.report.summary_lines()))
    assert "60 customers" in buffer.getvalue()
