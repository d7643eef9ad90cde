"""Row-level rules over the daily facts, in SQL on the warehouse: each returns flagged rows.

Statistics are robust and come from a reference window (the checked days and
``reference_days`` before them), so a day's outliers cannot mask themselves:
- quantity: per product category, Q1 / Q3 and the fences Q1 - k x IQR .. Q3 + k x IQR (the
  IQR is at least 1, quantities being whole units); a category with fewer than
  ``min_group_rows`` reference orders uses the fences of all orders;
- order amount: the amount per unit (total, else quantity x unit price, over quantity) per
  product, on the log scale, z = (x - median) / (1.4826 x MAD), the spread at least
  ``min_relative_spread`` (promotions); products with too little history are not judged;
- card amount: log amount per merchant category, centred on the card's own median in that
  category (its usual spend there) when the card has at least ``MIN_CARD_ROWS`` reference
  rows there, else on the category median shifted by the card's usual level against the
  other cards (the median of its log amounts minus their categories' medians; one or two rows
  are no usual amount: an outlier would be its own median), and scaled by the category's
  spread (1.4826 x MAD around the category median).
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import pandas as pd

from scv_platform.quality.facts import (
    FLAG_COLUMNS,
    ORDERS,
    REFERENCE_SQL,
    TRANSACTIONS,
    WINDOW_SQL,
    Fact,
    RuleResult,
    lineage_sql,
    rows_by_day,
)
from scv_platform.quality.window import CheckWindow
from scv_platform.settings import QualitySettings

MAD_TO_SIGMA = 1.4826  # the MAD of a normal distribution is 0.6745 sigma
MIN_CARD_ROWS = 5  # fewer reference rows of a card in a category: its median is no usual amount
DIM_PRODUCT = "gold.dim_product"
DIM_CUSTOMER = "gold.dim_customer"
DIM_CARD_ACCOUNT = "gold.dim_card_account"
AMBIGUOUS_SHOP = "silver.identity_ambiguous_accounts"  # written by identity resolution

Rule = Callable[[duckdb.DuckDBPyConnection, CheckWindow, QualitySettings], RuleResult]


def _run(
    con: duckdb.DuckDBPyConnection,
    fact: Fact,
    window: CheckWindow,
    sql: str,
    params: dict[str, object],
    detail: Callable[[pd.DataFrame], pd.Series],
) -> RuleResult:
    flagged = con.execute(sql, params).df()
    if flagged.empty:
        flagged = pd.DataFrame(columns=[*FLAG_COLUMNS, *flagged.columns.difference(FLAG_COLUMNS)])
    else:
        flagged["detail"] = detail(flagged).astype(str)
        flagged = flagged.sort_values(["partition_key", "record_id"], ignore_index=True)
    extra = [c for c in flagged.columns if c not in FLAG_COLUMNS]
    return RuleResult(flagged[[*FLAG_COLUMNS, *extra]], rows_by_day(con, fact, window))


def _number(value: object, digits: int) -> str:
    if pd.isna(value):
        return "empty"
    text = f"{value:,.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _fmt(values: pd.Series, digits: int = 2) -> pd.Series:
    return values.map(lambda v: _number(v, digits))


def quantity_iqr(
    con: duckdb.DuckDBPyConnection, window: CheckWindow, settings: QualitySettings
) -> RuleResult:
    """Order quantities outside Q1 - k x IQR .. Q3 + k x IQR of their product category."""
    sql = f"""
        WITH reference AS (
            SELECT o.*, coalesce(p.category, 'Unknown') AS category
            FROM {ORDERS.table} o LEFT JOIN {DIM_PRODUCT} p ON p.product_id = o.product_id
            WHERE {REFERENCE_SQL.format(a="o")} AND o.quantity IS NOT NULL
        ), everything AS (
            SELECT quantile_cont(quantity, 0.25) AS q1, quantile_cont(quantity, 0.75) AS q3
            FROM reference
        ), per_category AS (
            SELECT category, count(*) AS n, quantile_cont(quantity, 0.25) AS q1,
                   quantile_cont(quantity, 0.75) AS q3
            FROM reference GROUP BY category
        ), fences AS (
            SELECT c.category,
                   CASE WHEN c.n >= $min_rows THEN c.q1 ELSE e.q1 END AS q1,
                   CASE WHEN c.n >= $min_rows THEN c.q3 ELSE e.q3 END AS q3
            FROM per_category c CROSS JOIN everything e
        ), bounded AS (
            SELECT category, q1, q3, greatest(q3 - q1, 1) AS iqr,
                   q1 - $k * greatest(q3 - q1, 1) AS lower_fence,
                   q3 + $k * greatest(q3 - q1, 1) AS upper_fence
            FROM fences
        )
        SELECT {lineage_sql(ORDERS, "r")}, 'quantity' AS column_name,
               CASE WHEN r.quantity > b.upper_fence THEN 'quantity_above_fence'
                    ELSE 'quantity_below_fence' END AS issue,
               true AS holds_row, r.product_id, r.category, r.quantity, b.q1, b.q3, b.iqr,
               b.lower_fence, b.upper_fence
        FROM reference r JOIN bounded b ON b.category = r.category
        WHERE {WINDOW_SQL.format(a="r")}
          AND (r.quantity > b.upper_fence OR r.quantity < b.lower_fence)
    """
    params = {
        **window.params(settings.reference_days),
        "k": settings.iqr_multiplier,
        "min_rows": settings.min_group_rows,
    }
    return _run(
        con,
        ORDERS,
        window,
        sql,
        params,
        lambda f: (
            "quantity " + _fmt(f["quantity"]) + " outside " + _fmt(f["lower_fence"]) + " .. "
            + _fmt(f["upper_fence"]) + " (" + f["category"] + ": Q1 " + _fmt(f["q1"])
            + ", Q3 " + _fmt(f["q3"]) + ")"
        ),
    )  # fmt: skip


def orders_amount_zscore(
    con: duckdb.DuckDBPyConnection, window: CheckWindow, settings: QualitySettings
) -> RuleResult:
    """Orders whose amount per unit is |z| >= threshold from their product's usual one."""
    value = "coalesce(o.total_amount, o.quantity * o.unit_price)"
    sql = f"""
        WITH reference AS (
            SELECT o.*, ln({value} / o.quantity) AS v
            FROM {ORDERS.table} o
            WHERE {REFERENCE_SQL.format(a="o")} AND o.quantity > 0 AND {value} > 0
        ), centre AS (
            SELECT product_id, count(*) AS n, median(v) AS m FROM reference GROUP BY product_id
        ), spread AS (
            SELECT r.product_id, median(abs(r.v - c.m)) AS mad
            FROM reference r JOIN centre c ON c.product_id = r.product_id GROUP BY r.product_id
        ), scored AS (
            SELECT r.*, c.m, (r.v - c.m) / greatest({MAD_TO_SIGMA} * s.mad, $min_spread) AS z
            FROM reference r
            JOIN centre c ON c.product_id = r.product_id
            JOIN spread s ON s.product_id = r.product_id
            WHERE {WINDOW_SQL.format(a="r")} AND c.n >= $min_rows
        )
        SELECT {lineage_sql(ORDERS, "s")}, 'total_amount' AS column_name,
               CASE WHEN s.z > 0 THEN 'amount_high' ELSE 'amount_low' END AS issue,
               true AS holds_row, s.product_id, s.quantity, s.unit_price, s.total_amount,
               exp(s.v) AS amount_per_unit, exp(s.m) AS usual_amount_per_unit, s.z
        FROM scored s
        WHERE abs(s.z) >= $z
    """
    params = {
        **window.params(settings.reference_days),
        "z": settings.zscore_threshold,
        "min_spread": settings.min_relative_spread,
        "min_rows": settings.min_group_rows,
    }
    return _run(
        con,
        ORDERS,
        window,
        sql,
        params,
        lambda f: (
            "amount per unit " + _fmt(f["amount_per_unit"]) + " vs usual "
            + _fmt(f["usual_amount_per_unit"]) + " for " + f["product_id"] + " (z "
            + _fmt(f["z"], 1) + "; total " + _fmt(f["total_amount"]) + ", quantity "
            + _fmt(f["quantity"]) + ")"
        ),
    )  # fmt: skip


def transactions_amount_zscore(
    con: duckdb.DuckDBPyConnection, window: CheckWindow, settings: QualitySettings
) -> RuleResult:
    """Card transactions |z| >= threshold from the card's usual amount in the merchant category."""
    category = "coalesce({a}.merchant_category, 'Unknown')"
    sql = f"""
        WITH checked AS (
            SELECT t.*, {category.format(a="t")} AS category, ln(t.amount) AS v
            FROM {TRANSACTIONS.table} t
            WHERE {WINDOW_SQL.format(a="t")} AND t.amount > 0
        ), reference AS (
            SELECT t.card_account_id, {category.format(a="t")} AS category, ln(t.amount) AS v
            FROM {TRANSACTIONS.table} t
            WHERE {REFERENCE_SQL.format(a="t")} AND t.amount > 0
        ), per_category AS (
            SELECT category, count(*) AS n, median(v) AS m FROM reference GROUP BY category
        ), spread AS (
            SELECT r.category, median(abs(r.v - c.m)) AS mad
            FROM reference r JOIN per_category c ON c.category = r.category GROUP BY r.category
        ), cards_checked AS (
            SELECT DISTINCT card_account_id, category FROM checked
        ), per_card AS (
            SELECT r.card_account_id, r.category, median(r.v) AS m, count(*) AS n
            FROM reference r
            JOIN cards_checked k ON k.card_account_id = r.card_account_id
                AND k.category = r.category
            GROUP BY r.card_account_id, r.category
            HAVING count(*) >= {MIN_CARD_ROWS}
        ), card_level AS (
            SELECT r.card_account_id, median(r.v - c.m) AS level
            FROM reference r
            JOIN per_category c ON c.category = r.category
            WHERE r.card_account_id IN (SELECT card_account_id FROM cards_checked)
            GROUP BY r.card_account_id
            HAVING count(*) >= {MIN_CARD_ROWS}
        ), centred AS (
            SELECT x.*, coalesce(d.m, c.m + coalesce(l.level, 0)) AS centre,
                   coalesce(d.n, 0) AS card_rows, s.mad
            FROM checked x
            JOIN per_category c ON c.category = x.category
            JOIN spread s ON s.category = x.category
            LEFT JOIN per_card d ON d.card_account_id = x.card_account_id
                AND d.category = x.category
            LEFT JOIN card_level l ON l.card_account_id = x.card_account_id
            WHERE c.n >= $min_rows AND s.mad > 0
        ), scored AS (
            SELECT *, (v - centre) / ({MAD_TO_SIGMA} * mad) AS z FROM centred
        )
        SELECT {lineage_sql(TRANSACTIONS, "s")}, 'amount' AS column_name,
               CASE WHEN s.z > 0 THEN 'amount_high' ELSE 'amount_low' END AS issue,
               true AS holds_row, s.card_account_id, s.category AS merchant_category,
               s.amount, exp(s.centre) AS usual_amount, s.card_rows, s.z
        FROM scored s
        WHERE abs(s.z) >= $z
    """
    params = {
        **window.params(settings.reference_days),
        "z": settings.zscore_threshold,
        "min_rows": settings.min_group_rows,
    }
    return _run(
        con,
        TRANSACTIONS,
        window,
        sql,
        params,
        lambda f: (
            "amount " + _fmt(f["amount"]) + " vs usual " + _fmt(f["usual_amount"]) + " at "
            + f["merchant_category"] + " for card " + f["card_account_id"].fillna("?")
            + " (z " + _fmt(f["z"], 1) + ")"
        ),
    )  # fmt: skip


def orders_total_consistency(
    con: duckdb.DuckDBPyConnection, window: CheckWindow, settings: QualitySettings
) -> RuleResult:
    """Totals that are empty, or differ from quantity x unit price beyond the tolerance.

    Only disagreeing totals are held out of the marts; an empty total is imputed there as
    quantity x unit price (and an unverifiable one is used as delivered)."""
    expected = "o.quantity * o.unit_price"
    sql = f"""
        SELECT {lineage_sql(ORDERS, "o")}, 'total_amount' AS column_name,
               CASE WHEN o.total_amount IS NULL THEN 'total_missing'
                    WHEN {expected} IS NULL THEN 'total_unverifiable'
                    ELSE 'total_mismatch' END AS issue,
               o.total_amount IS NOT NULL AND {expected} IS NOT NULL AS holds_row,
               o.product_id, o.quantity, o.unit_price, o.total_amount,
               {expected} AS expected_total
        FROM {ORDERS.table} o
        WHERE {WINDOW_SQL.format(a="o")}
          AND (o.total_amount IS NULL OR {expected} IS NULL
               OR abs(o.total_amount - {expected})
                  > greatest($tolerance, $relative_tolerance * abs({expected})))
    """
    params = {
        **window.params(),
        "tolerance": settings.total_tolerance,
        "relative_tolerance": settings.total_relative_tolerance,
    }
    return _run(
        con,
        ORDERS,
        window,
        sql,
        params,
        lambda f: (
            "total " + _fmt(f["total_amount"]) + " vs quantity " + _fmt(f["quantity"])
            + " x unit price " + _fmt(f["unit_price"]) + " = " + _fmt(f["expected_total"])
        ),
    )  # fmt: skip


def fk_orders_product(
    con: duckdb.DuckDBPyConnection, window: CheckWindow, settings: QualitySettings
) -> RuleResult:
    """Orders whose product is empty or not in dim_product (judged now, not at build time)."""
    sql = f"""
        SELECT {lineage_sql(ORDERS, "o")}, 'product_id' AS column_name,
               CASE WHEN o.product_id IS NULL THEN 'product_missing'
                    ELSE 'product_unknown' END AS issue,
               true AS holds_row, o.product_id
        FROM {ORDERS.table} o LEFT JOIN {DIM_PRODUCT} p ON p.product_id = o.product_id
        WHERE {WINDOW_SQL.format(a="o")} AND p.product_id IS NULL
    """
    return _run(
        con,
        ORDERS,
        window,
        sql,
        window.params(),
        lambda f: "product " + f["product_id"].fillna("(empty)") + " is not in dim_product",
    )


def fk_orders_customer(
    con: duckdb.DuckDBPyConnection, window: CheckWindow, settings: QualitySettings
) -> RuleResult:
    """Orders whose customer does not resolve to a current customer of record.

    Held: no shop account, or no current customer in dim_customer. Kept for review, shop
    accounts no CRM contact or legacy record is linked to: ``shop_account_ambiguous`` when
    identity resolution found several customers the account's e-mail fits (its review
    queue lists them), ``shop_account_not_linked`` when it fits nobody on record (a guest
    checkout, an unknown shopper). An account that fits nobody but has placed at least
    ``shop_customer_min_orders`` orders is a shop-only customer in its own right: not
    flagged."""
    sql = f"""
        WITH customers AS (
            SELECT scv_customer_id,
                   coalesce(d365_contacts, 0) + coalesce(legacy_customers, 0) AS of_record
            FROM {DIM_CUSTOMER} WHERE is_current
        ), ambiguous AS (
            SELECT source_record_id, candidate_customers FROM {AMBIGUOUS_SHOP}
            WHERE source_system = 'shop'
        ), flagged AS (
            SELECT {lineage_sql(ORDERS, "o")}, 'scv_customer_id' AS column_name,
                   CASE WHEN o.shop_customer_id IS NULL THEN 'shop_customer_missing'
                        WHEN c.scv_customer_id IS NULL THEN 'customer_unresolved'
                        WHEN a.source_record_id IS NOT NULL THEN 'shop_account_ambiguous'
                        ELSE 'shop_account_not_linked' END AS issue,
                   c.scv_customer_id IS NULL AS holds_row, o.shop_customer_id,
                   o.scv_customer_id, a.candidate_customers
            FROM {ORDERS.table} o
            LEFT JOIN customers c ON c.scv_customer_id = o.scv_customer_id
            LEFT JOIN ambiguous a ON a.source_record_id = o.shop_customer_id
            WHERE {WINDOW_SQL.format(a="o")}
              AND (o.shop_customer_id IS NULL OR c.scv_customer_id IS NULL OR c.of_record = 0)
        ), history AS (
            SELECT shop_customer_id, count(*) AS account_orders FROM {ORDERS.table}
            WHERE shop_customer_id IN (
                SELECT shop_customer_id FROM flagged WHERE issue = 'shop_account_not_linked'
            )
            GROUP BY shop_customer_id
        )
        SELECT flagged.*, history.account_orders
        FROM flagged LEFT JOIN history USING (shop_customer_id)
        WHERE flagged.issue <> 'shop_account_not_linked'
           OR history.account_orders < $min_orders
    """
    messages = {
        "shop_customer_missing": "the order has no shop account",
        "customer_unresolved": "the shop account resolves to no current customer",
    }

    def detail(f: pd.DataFrame) -> pd.Series:
        account = f["shop_customer_id"].fillna("(empty)") + ": "
        text = account + f["issue"].map(messages).fillna("")
        fits = account + "the shop account's e-mail fits " + _fmt(f["candidate_customers"], 0)
        fits += " customers; review it in " + AMBIGUOUS_SHOP
        nobody = account + "the shop account's e-mail fits no CRM or legacy customer and it "
        nobody += "has " + _fmt(f["account_orders"], 0) + " orders (a guest or unknown shopper)"
        return text.where(
            ~f["issue"].isin(["shop_account_ambiguous", "shop_account_not_linked"]),
            fits.where(f["issue"] == "shop_account_ambiguous", nobody),
        )

    params = window.params() | {"min_orders": settings.shop_customer_min_orders}
    return _run(con, ORDERS, window, sql, params, detail)


def fk_transactions_card_account(
    con: duckdb.DuckDBPyConnection, window: CheckWindow, settings: QualitySettings
) -> RuleResult:
    """Transactions whose card account is unknown, or whose holder resolves to no customer."""
    sql = f"""
        WITH customers AS (SELECT scv_customer_id FROM {DIM_CUSTOMER} WHERE is_current)
        SELECT {lineage_sql(TRANSACTIONS, "t")}, 'card_account_id' AS column_name,
               CASE WHEN t.card_account_id IS NULL THEN 'card_missing'
                    WHEN d.card_account_id IS NULL THEN 'card_unknown'
                    ELSE 'card_holder_unresolved' END AS issue,
               true AS holds_row, t.card_account_id, d.scv_customer_id
        FROM {TRANSACTIONS.table} t
        LEFT JOIN {DIM_CARD_ACCOUNT} d ON d.card_account_id = t.card_account_id
        LEFT JOIN customers c ON c.scv_customer_id = d.scv_customer_id
        WHERE {WINDOW_SQL.format(a="t")} AND c.scv_customer_id IS NULL
    """
    messages = {
        "card_missing": "the transaction has no card account",
        "card_unknown": "the card account is not in dim_card_account",
        "card_holder_unresolved": "the card's holder resolves to no current customer",
    }
    return _run(
        con,
        TRANSACTIONS,
        window,
        sql,
        window.params(),
        lambda f: f["card_account_id"].fillna("(empty)") + ": " + f["issue"].map(messages),
    )
