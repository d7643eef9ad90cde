"""Bronze loading on a real DuckDB file with hand-made good and bad landing files."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq

from scv_platform.sources.landing import list_landing_files
from scv_platform.sources.loader import load_files
from scv_platform.sources.specs import CONTACTS, LEGACY_CUSTOMERS, ORDERS, TRANSACTIONS
from scv_platform_tests.conftest import TRANSACTION_HEADER, transaction_row, write_csv

TX_DIR = "cards/transactions"


def load(con, spec, landing: Path, force: bool = False):
    return load_files(con, spec, list_landing_files(spec, landing).files, "run-1", force)


def quarantine(con, source: str) -> list[tuple]:
    return con.execute(
        "SELECT source_file, source_row, column_name, reason, original_values "
        "FROM quality.quarantine WHERE source = $s AND released_at IS NULL "
        "ORDER BY source_file, source_row",
        {"s": source},
    ).fetchall()


def test_good_file_loads_typed_rows_with_load_metadata(con, landing):
    write_csv(
        landing / TX_DIR / "transactions_2025-01-01.csv",
        TRANSACTION_HEADER,
        [transaction_row(i) for i in range(5)],
    )
    [result] = load(con, TRANSACTIONS, landing)
    assert (result.status, result.rows_read, result.rows_loaded, result.rows_quarantined) == (
        "loaded", 5, 5, 0,
    )  # fmt: skip
    row = con.execute(
        "SELECT transaction_ts, amount, _source_file, _source_row, _file_date, _batch_id "
        "FROM bronze.card_transactions ORDER BY _source_row LIMIT 1"
    ).fetchone()
    assert row[0] == datetime(2025, 1, 1, 10, 0)
    assert float(row[1]) == 12.5
    assert row[2] == "cards/transactions/transactions_2025-01-01.csv"
    assert row[3] == 2  # the header is line 1
    assert row[4] == date(2025, 1, 1)
    assert row[5] == result.batch_id


def test_timestamps_with_offsets_are_converted_to_utc(con, landing):
    row = transaction_row(1)
    row[2] = "2025-01-01T10:00:00+02:00"
    write_csv(landing / TX_DIR / "transactions_2025-01-01.csv", TRANSACTION_HEADER, [row])
    load(con, TRANSACTIONS, landing)
    ts = con.execute("SELECT transaction_ts FROM bronze.card_transactions").fetchone()[0]
    assert ts == datetime(2025, 1, 1, 8, 0)


def test_unparsable_date_and_number_are_quarantined_naming_row_and_column(con, landing):
    bad_amount = transaction_row(1, amount="12,50 USD")
    bad_ts = transaction_row(2)
    bad_ts[2] = "31/12/2024 10:00"
    good = transaction_row(3)
    write_csv(
        landing / TX_DIR / "transactions_2025-01-01.csv",
        TRANSACTION_HEADER,
        [bad_amount, bad_ts, good],
    )
    [result] = load(con, TRANSACTIONS, landing)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (3, 1, 2)
    rows = quarantine(con, "card_transactions")
    assert [(r[1], r[2]) for r in rows] == [(2, "amount"), (3, "transaction_ts")]
    assert "'12,50 USD' is not a decimal number" in rows[0][3]
    assert "is not an ISO 8601 timestamp" in rows[1][3]
    assert json.loads(rows[0][4])["amount"] == "12,50 USD"


def test_missing_required_column_rejects_only_that_file(con, landing):
    write_csv(
        landing / TX_DIR / "transactions_2025-01-01.csv",
        [h for h in TRANSACTION_HEADER if h != "amount"],
        [transaction_row(1)[:3] + transaction_row(1)[4:]],
    )
    write_csv(
        landing / TX_DIR / "transactions_2025-01-02.csv",
        TRANSACTION_HEADER,
        [transaction_row(1, "2025-01-02")],
    )
    rejected, loaded = load(con, TRANSACTIONS, landing)
    assert rejected.status == "rejected"
    assert "transactions_2025-01-01.csv" in rejected.message
    assert "missing required column(s) amount" in rejected.message
    assert (rejected.rows_read, rejected.rows_quarantined) == (1, 1)
    assert loaded.status == "loaded" and loaded.rows_loaded == 1
    assert con.execute("SELECT count(*) FROM bronze.card_transactions").fetchone()[0] == 1


def test_empty_file_is_rejected_and_header_only_file_loads_nothing(con, landing):
    (landing / TX_DIR).mkdir(parents=True)
    (landing / TX_DIR / "transactions_2025-01-01.csv").write_bytes(b"")
    write_csv(landing / TX_DIR / "transactions_2025-01-02.csv", TRANSACTION_HEADER, [])
    empty, header_only = load(con, TRANSACTIONS, landing)
    assert empty.status == "rejected" and "empty" in empty.message
    assert (header_only.status, header_only.rows_read) == ("loaded", 0)
    traces = quarantine(con, "card_transactions")
    assert len(traces) == 1 and traces[0][1] is None  # a file-level trace, no row


def test_malformed_csv_line_is_quarantined_and_later_rows_keep_their_line(con, landing):
    path = landing / TX_DIR / "transactions_2025-01-01.csv"
    write_csv(path, TRANSACTION_HEADER, [transaction_row(1)])
    with path.open("a", newline="") as handle:  # same line endings as csv.writer
        handle.write("T-short,CA1,2025-01-01T10:00:00\r\n")
        handle.write(",".join(str(v) for v in transaction_row(9)) + "\r\n")
    [result] = load(con, TRANSACTIONS, landing)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (3, 2, 1)
    assert quarantine(con, "card_transactions")[0][1] == 3
    lines = con.execute("SELECT _source_row FROM bronze.card_transactions ORDER BY 1").fetchall()
    assert lines == [(2,), (4,)]


def test_file_the_csv_reader_cannot_parse_is_rejected_not_crashing(con, landing):
    path = write_csv(landing / TX_DIR / "transactions_2025-01-01.csv", TRANSACTION_HEADER, [])
    with path.open("a", newline="") as handle:  # mixed line endings confuse a strict reader
        handle.write(",".join(str(v) for v in transaction_row(1)) + "\r\n")
        handle.write("T-short,CA1\n" + ",".join(str(v) for v in transaction_row(2)) + "\n")
    [result] = load(con, TRANSACTIONS, landing)
    assert result.status == "rejected"
    assert "could not parse" in result.message


def test_same_file_twice_is_a_no_op_and_new_content_replaces(con, landing):
    path = write_csv(
        landing / TX_DIR / "transactions_2025-01-01.csv",
        TRANSACTION_HEADER,
        [transaction_row(1, amount="bad"), transaction_row(2)],
    )
    load(con, TRANSACTIONS, landing)
    [again] = load(con, TRANSACTIONS, landing)
    assert again.status == "skipped"
    assert con.execute("SELECT count(*) FROM bronze.card_transactions").fetchone()[0] == 1
    write_csv(path, TRANSACTION_HEADER, [transaction_row(1), transaction_row(2)])
    [fixed] = load(con, TRANSACTIONS, landing)
    assert (fixed.status, fixed.rows_loaded, fixed.rows_quarantined) == ("loaded", 2, 0)
    assert con.execute("SELECT count(*) FROM bronze.card_transactions").fetchone()[0] == 2
    assert quarantine(con, "card_transactions") == []  # released by the corrected delivery
    [forced] = load(con, TRANSACTIONS, landing, force=True)
    assert forced.status == "loaded"
    assert con.execute("SELECT count(*) FROM bronze.card_transactions").fetchone()[0] == 2


def test_csv_gz_and_parquet_transaction_files_load(con, landing):
    write_csv(
        landing / TX_DIR / "transactions_2025-01-01.csv.gz",
        TRANSACTION_HEADER,
        [transaction_row(i) for i in range(3)],
        gz=True,
    )
    rows = [transaction_row(i, "2025-01-02") for i in range(4)]
    table = pa.table({h: [str(r[i]) for r in rows] for i, h in enumerate(TRANSACTION_HEADER)})
    table = table.set_column(3, "amount", pa.array([12.5, 1.0, 2.25, 3.0]))
    pq.write_table(table, landing / TX_DIR / "transactions_2025-01-02.parquet")
    gz, parquet = load(con, TRANSACTIONS, landing)
    assert (gz.status, gz.rows_loaded) == ("loaded", 3)
    assert (parquet.status, parquet.rows_loaded) == ("loaded", 4)
    amounts = con.execute(
        "SELECT sum(amount) FROM bronze.card_transactions WHERE _file_date = '2025-01-02'"
    ).fetchone()[0]
    assert float(amounts) == 18.75


def test_unknown_columns_are_kept_and_column_order_is_free(con, landing):
    header = ["loyalty_tier", *reversed(TRANSACTION_HEADER)]
    write_csv(
        landing / TX_DIR / "transactions_2025-01-01.csv",
        header,
        [["gold", *reversed(transaction_row(1))]],
    )
    load(con, TRANSACTIONS, landing)
    extra, amount = con.execute(
        "SELECT _extra_columns, amount FROM bronze.card_transactions"
    ).fetchone()
    assert json.loads(extra) == {"loyalty_tier": "gold"}
    assert float(amount) == 12.5


def test_integer_column_rejects_fractions(con, landing):
    header = [
        "order_id", "order_ts", "shop_customer_id", "customer_email", "product_id",
        "quantity", "unit_price", "total_amount", "order_status",
    ]  # fmt: skip
    rows = [
        ["O1", "2025-01-01T09:00:00", "S1", "a@b.com", "P1", "2", "5.00", "", "placed"],
        ["O2", "2025-01-01T09:00:00", "S1", "a@b.com", "P1", "2.5", "5.00", "12.5", "placed"],
    ]
    write_csv(landing / "shop/orders/orders_2025-01-01.csv", header, rows)
    [result] = load(con, ORDERS, landing)
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1)
    assert "quantity: '2.5' is not an integer" in quarantine(con, "shop_orders")[0][3]
    total = con.execute("SELECT total_amount FROM bronze.shop_orders").fetchone()[0]
    assert total is None  # an empty total stays empty: no imputation in bronze


def test_reference_exports_accumulate_and_files_outside_the_pattern_are_ignored(con, landing):
    header = ["contactid", "firstname", "createdon", "modifiedon"]
    folder = landing / "d365/contact"
    write_csv(
        folder / "contact_20250101T000000.csv", header, [["g1", "Ann", "2025-01-01", "2025-01-01"]]
    )
    write_csv(
        folder / "contact_20250201T000000.csv", header, [["g1", "Anne", "2025-01-01", "2025-02-01"]]
    )
    write_csv(folder / "contacts-final.csv", header, [["g2", "Bob", "2025-01-01", "2025-01-01"]])
    listing = list_landing_files(CONTACTS, landing)
    assert listing.ignored == ("contacts-final.csv",)
    load(con, CONTACTS, landing)
    names = con.execute("SELECT firstname FROM bronze.d365_contact ORDER BY modifiedon").fetchall()
    assert names == [("Ann",), ("Anne",)]


def make_workbook(path: Path, title_rows: int = 2, header_text: str = "Cust No") -> Path:
    workbook = openpyxl.Workbook()
    notes = workbook.active
    notes.title = "Notes"
    notes.append(["this sheet is ignored", "Cust No"])
    sheet = workbook.create_sheet("Customers")
    for i in range(title_rows):
        sheet.append([f"Legacy customer register {i}"] if i == 0 else [])
    sheet.append([header_text, "Customer Name", "E-Mail", "Post code", "DOB", "Card Account"])
    sheet.append(["L001", "Smith, Ann", "ANN@X.COM ", 2134, date(1980, 5, 17), "CA1"])
    sheet.append([None, None, None, None, None, None])
    sheet.append(["L002", "Bob Jones", None, "90210-1234", "17/05/1980", None])
    sheet.append([None, "No Number", None, None, None, None])
    workbook.save(path)
    return path


def test_workbook_header_found_below_titles_and_cells_kept_as_typed(con, landing):
    (landing / "legacy").mkdir()
    make_workbook(landing / "legacy" / "north.xlsx")
    [result] = load(con, LEGACY_CUSTOMERS, landing)
    assert (result.status, result.rows_read, result.rows_loaded, result.rows_quarantined) == (
        "loaded", 3, 2, 1,
    )  # fmt: skip
    rows = con.execute(
        "SELECT cust_no, customer_name, email, post_code, dob, card_account, _source_row "
        "FROM bronze.legacy_customers ORDER BY cust_no"
    ).fetchall()
    assert rows[0] == ("L001", "Smith, Ann", "ANN@X.COM ", "2134", "1980-05-17", "CA1", 4)
    assert rows[1][3:5] == ("90210-1234", "17/05/1980")
    assert rows[1][6] == 6  # the blank spreadsheet row 5 is skipped, numbering is Excel's
    [bad] = quarantine(con, "legacy_customers")
    assert bad[1] == 7 and "cust_no: required value is empty" in bad[3]


def test_corrupt_and_headerless_workbooks_are_rejected_with_reasons(con, landing):
    (landing / "legacy").mkdir()
    (landing / "legacy" / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    make_workbook(landing / "legacy" / "late_header.xlsx", title_rows=10)
    make_workbook(landing / "legacy" / "good.xlsx")
    results = {r.source_file: r for r in load(con, LEGACY_CUSTOMERS, landing)}
    assert results["legacy/broken.xlsx"].status == "rejected"
    assert "not a readable .xlsx workbook" in results["legacy/broken.xlsx"].message
    assert "no header row" in results["legacy/late_header.xlsx"].message
    assert results["legacy/good.xlsx"].rows_loaded == 2


def test_workbook_header_is_matched_ignoring_case_and_punctuation(con, landing):
    (landing / "legacy").mkdir()
    make_workbook(landing / "legacy" / "odd.xlsx", header_text="CUST. NO")
    [result] = load(con, LEGACY_CUSTOMERS, landing)
    assert result.rows_loaded == 2


def test_rows_read_always_equal_rows_loaded_plus_quarantined(con, landing):
    rows = [transaction_row(i, amount="x" if i % 4 == 0 else "1.00") for i in range(40)]
    write_csv(landing / TX_DIR / "transactions_2025-01-01.csv", TRANSACTION_HEADER, rows)
    [result] = load(con, TRANSACTIONS, landing)
    in_bronze = con.execute("SELECT count(*) FROM bronze.card_transactions").fetchone()[0]
    in_quarantine = len(quarantine(con, "card_transactions"))
    assert result.rows_read == 40 == in_bronze + in_quarantine
    assert (in_bronze, in_quarantine) == (30, 10)


def test_files_loaded_together_keep_their_own_line_numbers_and_batches(con, landing):
    for day, rows in (("2025-01-01", 3), ("2025-01-02", 5), ("2025-01-03", 2)):
        write_csv(
            landing / TX_DIR / f"transactions_{day}.csv",
            TRANSACTION_HEADER,
            [transaction_row(i, day) for i in range(rows)],
        )
    results = load(con, TRANSACTIONS, landing)
    assert [r.rows_loaded for r in results] == [3, 5, 2]
    assert len({r.batch_id for r in results}) == 3
    per_file = con.execute(
        "SELECT _file_date, min(_source_row), max(_source_row), count(DISTINCT _batch_id) "
        "FROM bronze.card_transactions GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert [(str(d), lo, hi, b) for d, lo, hi, b in per_file] == [
        ("2025-01-01", 2, 4, 1), ("2025-01-02", 2, 6, 1), ("2025-01-03", 2, 3, 1),
    ]  # fmt: skip
    ids = con.execute(
        "SELECT transaction_id FROM bronze.card_transactions "
        "WHERE _file_date = '2025-01-02' AND _source_row = 4"
    ).fetchall()
    assert ids == [("T2025-01-02-2",)]  # line 4 holds the third data row of that file


def test_line_numbers_hold_when_the_reader_splits_large_files_across_threads(con, landing):
    con.execute("SET threads = 4")  # the CSV reader parallelises within and across files
    days = ("2025-01-01", "2025-01-02", "2025-01-03")
    for day in days:
        write_csv(
            landing / TX_DIR / f"transactions_{day}.csv",
            TRANSACTION_HEADER,
            [transaction_row(i, day) for i in range(40_000)],
        )
    assert [r.rows_loaded for r in load(con, TRANSACTIONS, landing)] == [40_000] * 3
    misplaced = con.execute(
        "SELECT count(*), count_if(_source_row <> "
        "CAST(split_part(transaction_id, '-', 4) AS BIGINT) + 2 "
        "OR _source_file NOT LIKE '%' || _file_date || '.csv') FROM bronze.card_transactions"
    ).fetchone()
    assert misplaced == (120_000, 0)  # every row: its own file, its own line


def test_a_bad_line_in_one_file_does_not_disturb_the_files_loaded_with_it(con, landing):
    write_csv(
        landing / TX_DIR / "transactions_2025-01-01.csv",
        TRANSACTION_HEADER,
        [transaction_row(i) for i in range(3)],
    )
    bad = write_csv(
        landing / TX_DIR / "transactions_2025-01-02.csv",
        TRANSACTION_HEADER,
        [transaction_row(1, "2025-01-02")],
    )
    with bad.open("a", newline="") as handle:
        handle.write("T-short,CA1\r\n")
    good, with_bad_line = load(con, TRANSACTIONS, landing)
    assert (good.rows_read, good.rows_loaded) == (3, 3)
    assert (with_bad_line.rows_read, with_bad_line.rows_loaded) == (2, 1)
    assert quarantine(con, "card_transactions")[0][:2] == (
        "cards/transactions/transactions_2025-01-02.csv", 3,
    )  # fmt: skip
