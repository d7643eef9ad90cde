"""The landing-zone contract as data: one :class:`SourceSpec` per landing entity.

These specs drive the bronze loaders, the bronze table DDL and the dbt source definitions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import Enum


class ColumnType(Enum):
    """Contract types; each maps to a bronze SQL type and a parse rule."""

    TEXT = "VARCHAR"
    TIMESTAMP = "TIMESTAMP"
    DATE = "DATE"
    DECIMAL = "DECIMAL(18,2)"
    INTEGER = "BIGINT"

    @property
    def label(self) -> str:
        return {
            ColumnType.TEXT: "text",
            ColumnType.TIMESTAMP: "an ISO 8601 timestamp",
            ColumnType.DATE: "a YYYY-MM-DD date",
            ColumnType.DECIMAL: "a decimal number",
            ColumnType.INTEGER: "an integer",
        }[self]


class FileKind(Enum):
    DELIMITED = "delimited"  # .csv, .csv.gz and (transactions only) .parquet
    WORKBOOK = "workbook"  # .xlsx


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType = ColumnType.TEXT
    required: bool = False
    description: str = ""


def header_key(text: str) -> str:
    """Header matching key: case, spaces and punctuation are ignored."""
    return re.sub(r"[^a-z0-9]", "", str(text).lower())


@dataclass(frozen=True)
class SourceSpec:
    """One landing entity: where its files land, what they hold, where bronze keeps them."""

    table: str
    folder: str
    file_pattern: str
    columns: tuple[Column, ...]
    description: str
    daily: bool = False
    kind: FileKind = FileKind.DELIMITED

    @property
    def regex(self) -> re.Pattern[str]:
        return re.compile(self.file_pattern)

    @property
    def required_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)

    @property
    def columns_by_key(self) -> dict[str, Column]:
        return {header_key(c.name): c for c in self.columns}

    def file_date(self, file_name: str) -> date | None:
        """The day a daily file belongs to, from its name; None for reference files."""
        match = self.regex.fullmatch(file_name)
        if not match or not self.daily:
            return None
        try:
            return date.fromisoformat(match.group("day"))
        except (IndexError, ValueError):
            return None


T, TS, D, DEC, INT = (
    ColumnType.TEXT,
    ColumnType.TIMESTAMP,
    ColumnType.DATE,
    ColumnType.DECIMAL,
    ColumnType.INTEGER,
)
_EXPORT_TS = r"\d{8}T\d{6}"
_CSV = r"\.csv(?:\.gz)?"
_DAY = r"(?P<day>\d{4}-\d{2}-\d{2})"

CONTACTS = SourceSpec(
    table="d365_contact",
    folder="d365/contact",
    file_pattern=rf"contact_{_EXPORT_TS}{_CSV}",
    description="Dynamics 365 contacts (full and delta Dataverse exports), as landed.",
    columns=(
        Column("contactid", T, True, "Dataverse contact GUID"),
        Column("firstname"),
        Column("lastname"),
        Column("emailaddress1"),
        Column("telephone1"),
        Column("telephone2"),
        Column("mobilephone"),
        Column("address1_line1"),
        Column("address1_city"),
        Column("address1_stateorprovince"),
        Column("address1_postalcode"),
        Column("address1_country"),
        Column("birthdate", D),
        Column("scv_employmentstatus"),
        Column("createdon", TS, True),
        Column("modifiedon", TS, True),
        Column("statecode", INT, description="0 active, 1 inactive"),
    ),
)

CUSTOMER_ADDRESSES = SourceSpec(
    table="d365_customeraddress",
    folder="d365/customeraddress",
    file_pattern=rf"customeraddress_{_EXPORT_TS}{_CSV}",
    description="Dynamics 365 additional contact addresses, as landed.",
    columns=(
        Column("customeraddressid", T, True),
        Column("parentid", T, True, "the contactid the address belongs to"),
        Column("addresstypecode", INT, description="1 bill-to, 2 ship-to, 3 primary, 4 other"),
        Column("line1"),
        Column("city"),
        Column("stateorprovince"),
        Column("postalcode"),
        Column("country"),
        Column("modifiedon", TS),
    ),
)

CARD_ACCOUNTS = SourceSpec(
    table="d365_cardaccount",
    folder="d365/scv_cardaccount",
    file_pattern=rf"scv_cardaccount_{_EXPORT_TS}{_CSV}",
    description="Co-branded card accounts held in the CRM, as landed.",
    columns=(
        Column("scv_cardaccountid", T, True),
        Column("contactid", description="empty for cards still held under a legacy customer"),
        Column("scv_legacycustno"),
        Column("scv_cardtype"),
        Column("scv_creditlimit", DEC),
        Column("scv_openedon", D),
        Column("statecode", INT),
        Column("modifiedon", TS),
    ),
)

LEGACY_CUSTOMERS = SourceSpec(
    table="legacy_customers",
    folder="legacy",
    file_pattern=r"[^/]+\.xlsx",
    kind=FileKind.WORKBOOK,
    description=(
        "Legacy customer workbooks (sheet 'Customers'), every cell kept as text as typed; "
        "Excel dates become YYYY-MM-DD text."
    ),
    columns=(
        Column("cust_no", T, True, "legacy customer number"),
        Column("customer_name", description="'Last, First' or 'First Last'"),
        Column("email"),
        Column("phone"),
        Column("address"),
        Column("town"),
        Column("state"),
        Column("post_code", description="as typed: leading zeros may be lost, ZIP+4, empty"),
        Column("dob"),
        Column("customer_since"),
        Column("card_account", description="optional scv_cardaccountid"),
    ),
)

PRODUCTS = SourceSpec(
    table="shop_products",
    folder="shop/products",
    file_pattern=rf"products_{_EXPORT_TS}{_CSV}",
    description="Web shop product catalogue exports, as landed.",
    columns=(
        Column("product_id", T, True),
        Column("product_name"),
        Column("category"),
        Column("brand"),
        Column("list_price", DEC),
    ),
)

ORDERS = SourceSpec(
    table="shop_orders",
    folder="shop/orders",
    file_pattern=rf"orders_{_DAY}{_CSV}",
    daily=True,
    description="Web shop orders, one file per day, as landed.",
    columns=(
        Column("order_id", T, True),
        Column("order_ts", TS, True),
        Column("shop_customer_id"),
        Column("customer_email"),
        Column("product_id"),
        Column("quantity", INT),
        Column("unit_price", DEC),
        Column("total_amount", DEC, description="may be empty"),
        Column("order_status"),
    ),
)

TRANSACTIONS = SourceSpec(
    table="card_transactions",
    folder="cards/transactions",
    file_pattern=rf"transactions_{_DAY}(?:{_CSV}|\.parquet)",
    daily=True,
    description="Card processor transactions, one file per day (CSV, CSV.gz or Parquet).",
    columns=(
        Column("transaction_id", T, True),
        Column("card_account_id", T, True),
        Column("transaction_ts", TS, True),
        Column("amount", DEC, True, "USD"),
        Column("merchant_name"),
        Column("merchant_category"),
        Column("mcc", description="4-digit merchant category code"),
        Column("channel", description="online, in_store, mobile"),
        Column("status", description="approved, declined"),
        Column("decline_reason"),
    ),
)

WEATHER = SourceSpec(
    table="weather_forecast_day",
    folder="weather/forecast_day",
    file_pattern=rf"forecast_day_{_DAY}{_CSV}",
    daily=True,
    description="Weather Source OnPoint FORECAST_DAY by postal code and day, as landed.",
    columns=(
        Column("postal_code", T, True),
        Column("country"),
        Column("date_valid_std", D, True),
        Column("min_temperature_air_2m_f", DEC),
        Column("avg_temperature_air_2m_f", DEC),
        Column("max_temperature_air_2m_f", DEC),
        Column("tot_precipitation_in", DEC),
        Column("tot_snowfall_in", DEC),
        Column("avg_humidity_relative_2m_pct", DEC),
        Column("avg_wind_speed_10m_mph", DEC),
        Column("avg_cloud_cover_tot_pct", DEC),
    ),
)

SOURCES: tuple[SourceSpec, ...] = (
    CONTACTS,
    CUSTOMER_ADDRESSES,
    CARD_ACCOUNTS,
    LEGACY_CUSTOMERS,
    PRODUCTS,
    ORDERS,
    TRANSACTIONS,
    WEATHER,
)
SOURCES_BY_TABLE = {s.table: s for s in SOURCES}
