"""Reading a legacy customer workbook: the 'Customers' sheet, header found by its 'Cust No' cell."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

import openpyxl
import pandas as pd

from scv_platform.sources.specs import header_key

SHEET_NAME = "Customers"
HEADER_MARKER = "custno"
HEADER_SEARCH_ROWS = 10


class WorkbookError(ValueError):
    """The workbook cannot be read as the contract describes; the message says why."""


@dataclass(frozen=True)
class WorkbookTable:
    header: list[str]
    rows: pd.DataFrame  # one text column per header cell plus ``_source_row`` (Excel row)
    header_row: int


def cell_text(value: object) -> str | None:
    """Cell value as the text a person typed: Excel dates as ISO dates, 2134.0 as '2134'."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    text = str(value)
    return text if text.strip() else None


def read_customers_sheet(path: Path) -> WorkbookTable:
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise WorkbookError(f"not a readable .xlsx workbook ({type(exc).__name__}: {exc})") from exc
    try:
        sheet_names = {name.strip().lower(): name for name in workbook.sheetnames}
        if SHEET_NAME.lower() not in sheet_names:
            raise WorkbookError(
                f"no sheet named '{SHEET_NAME}' (sheets: {', '.join(workbook.sheetnames)})"
            )
        sheet = workbook[sheet_names[SHEET_NAME.lower()]]
        header: list[str] | None = None
        header_row = 0
        records: list[list[str | None]] = []
        row_numbers: list[int] = []
        for row_number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if header is None:
                if row_number > HEADER_SEARCH_ROWS:
                    break
                if any(v is not None and header_key(str(v)) == HEADER_MARKER for v in values):
                    header = [cell_text(v) or f"column_{i + 1}" for i, v in enumerate(values)]
                    header_row = row_number
                continue
            texts = [cell_text(v) for v in values[: len(header)]]
            if all(t is None for t in texts):
                continue  # blank spreadsheet rows are not data
            texts.extend([None] * (len(header) - len(texts)))
            records.append(texts)
            row_numbers.append(row_number)
    finally:
        workbook.close()
    if header is None:
        raise WorkbookError(
            f"no header row: none of the first {HEADER_SEARCH_ROWS} rows of sheet "
            f"'{SHEET_NAME}' has a 'Cust No' cell"
        )
    frame = pd.DataFrame(records, columns=header, dtype="string")
    frame["_source_row"] = pd.Series(row_numbers, dtype="int64")
    return WorkbookTable(header=header, rows=frame, header_row=header_row)
