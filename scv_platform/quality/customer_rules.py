"""Checks on the customer dimension and weather coverage: duplicates, postal codes, weather."""

from __future__ import annotations

import dagster as dg
import duckdb

from scv_platform.quality.explain import markdown_table, percent
from scv_platform.quality.outcome import DayOutcome, Outcome
from scv_platform.quality.severity import Thresholds, Verdict, judge, share
from scv_platform.settings import QualitySettings

DIM_CUSTOMER = "gold.dim_customer"
WEATHER_COVERAGE = "gold.weather_customer_coverage"
STG_WEATHER = "silver.stg_weather__forecast_day"
VALID_POSTAL_CODE = "regexp_full_match(postal_code, '[0-9]{5}')"


def _thresholds(settings: QualitySettings, check: str) -> Thresholds:
    return Thresholds(*settings.thresholds(check))


def customer_duplicates(con: duckdb.DuckDBPyConnection, settings: QualitySettings) -> Outcome:
    """Current customers sharing a normalised e-mail or phone with another scv id."""
    groups = con.execute(
        f"""
        WITH current_customers AS (
            SELECT scv_customer_id, lower(trim(email)) AS email, phone
            FROM {DIM_CUSTOMER} WHERE is_current
        ), shared AS (
            SELECT 'email' AS matched_on, email AS value, scv_customer_id
            FROM current_customers WHERE email IS NOT NULL AND email <> ''
            UNION ALL
            SELECT 'phone', phone, scv_customer_id
            FROM current_customers WHERE phone IS NOT NULL AND phone <> ''
        )
        SELECT matched_on, value, count(DISTINCT scv_customer_id) AS customers,
               string_agg(DISTINCT scv_customer_id, ', ' ORDER BY scv_customer_id) AS scv_ids
        FROM shared GROUP BY matched_on, value
        HAVING count(DISTINCT scv_customer_id) > 1
        ORDER BY customers DESC, matched_on, value
        """
    ).df()
    total = con.execute(f"SELECT count(*) FROM {DIM_CUSTOMER} WHERE is_current").fetchone()[0]
    ids = {i for group in groups["scv_ids"] for i in group.split(", ")}
    thresholds = _thresholds(settings, "customer_duplicates")
    verdict = judge(share(len(ids), total), thresholds)
    if groups.empty:
        description = f"No two of {total:,} current customers share an e-mail or a phone."
    else:
        sample = "; ".join(
            f"{r.matched_on} {r.value}: {r.scv_ids}"
            for r in groups.head(settings.sample_size).itertuples()
        )
        description = (
            f"{len(ids):,} of {total:,} current customers ({percent(share(len(ids), total))}) "
            f"share an e-mail or phone with another scv id ({len(groups):,} groups). "
            f"{verdict.label} ({thresholds.describe()}). Sample: {sample}. What to do: "
            "check the pair in silver.identity_links / identity_match_explanations; add a "
            "merge row to the identity_overrides seed when it is one person, never_merge "
            "when it is not (a family e-mail, a switchboard), then re-run identity resolution."
        )
    return Outcome(
        verdict,
        description,
        len(ids),
        {
            "current_customers": int(total),
            "duplicate_groups": len(groups),
            "failed_share": share(len(ids), total),
            "groups": markdown_table(groups.head(settings.sample_size), list(groups.columns)),
        },
    )


def postal_code_completeness(con: duckdb.DuckDBPyConnection, settings: QualitySettings) -> Outcome:
    """Share of current customers without a valid 5-digit ZIP code."""
    total, missing = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE postal_code IS NULL OR NOT {VALID_POSTAL_CODE}) "
        f"FROM {DIM_CUSTOMER} WHERE is_current"
    ).fetchone()
    sample = con.execute(
        f"""
        SELECT scv_customer_id, postal_code, city, state_code, source_systems
        FROM {DIM_CUSTOMER}
        WHERE is_current AND (postal_code IS NULL OR NOT {VALID_POSTAL_CODE})
        ORDER BY scv_customer_id LIMIT $n
        """,
        {"n": settings.sample_size},
    ).df()
    thresholds = _thresholds(settings, "postal_code_completeness")
    bad_share = share(missing, total)
    verdict = judge(bad_share, thresholds)
    description = (
        f"{total - missing:,} of {total:,} current customers ({percent(1 - bad_share)}) have a "
        f"valid ZIP code; {missing:,} ({percent(bad_share)}) have none. {verdict.label} "
        f"({thresholds.describe()})."
    )
    if missing:
        lines = "; ".join(
            f"{r.scv_customer_id} ({r.city or '?'}, {r.state_code or '?'}; from {r.source_systems})"
            for r in sample.itertuples()
        )
        description += (
            f" Sample: {lines}. What to do: ask the CRM team to complete the address "
            "(address1_postalcode) of these customers; legacy-only customers get a ZIP code "
            "once they are linked to a CRM contact. Weather analytics cannot cover them."
        )
    return Outcome(
        verdict,
        description,
        int(missing),
        {
            "current_customers": int(total),
            "with_valid_postal_code": int(total - missing),
            "failed_share": bad_share,
            "sample": markdown_table(sample, list(sample.columns)),
        },
    )


def weather_coverage(con: duckdb.DuckDBPyConnection, settings: QualitySettings) -> Outcome:
    """Share of current customers with weather for their ZIP code on the latest weather day."""
    days = con.execute(
        f"""
        SELECT CAST(weather_date AS VARCHAR) AS day, current_customers, customers_with_weather,
               weather_coverage_share
        FROM {WEATHER_COVERAGE} ORDER BY weather_date DESC LIMIT 30
        """
    ).df()
    thresholds = _thresholds(settings, "weather_coverage")
    goal = 1 - thresholds.warn
    if days.empty:  # an absent source is reported, not an error (contracts.md)
        return Outcome(
            Verdict(False, dg.AssetCheckSeverity.WARN),
            "No weather day in gold.weather_customer_coverage: no weather file has been "
            "loaded. Deliver weather/forecast_day files (or check the Marketplace share).",
            0,
        )
    latest = days.iloc[0]
    uncovered = int(latest.current_customers - latest.customers_with_weather)
    bad_share = share(uncovered, int(latest.current_customers))
    verdict = judge(bad_share, thresholds)
    gaps = con.execute(
        f"""
        SELECT c.postal_code, count(*) AS customers
        FROM {DIM_CUSTOMER} c
        WHERE c.is_current AND c.postal_code IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM {STG_WEATHER} w
            WHERE w.postal_code = c.postal_code AND w.date_valid_std = CAST($day AS DATE))
        GROUP BY c.postal_code ORDER BY customers DESC, c.postal_code LIMIT $n
        """,
        {"day": latest.day, "n": settings.sample_size},
    ).df()
    below = days[days["weather_coverage_share"].fillna(0) < goal]
    description = (
        f"On {latest.day}, {int(latest.customers_with_weather):,} of "
        f"{int(latest.current_customers):,} current customers ({percent(1 - bad_share)}) have "
        f"weather for their ZIP code (goal {percent(goal)}); {uncovered:,} do not. "
        f"{verdict.label} ({thresholds.describe()}). {len(below)} of the last {len(days)} "
        "weather days are below the goal."
    )
    if uncovered:
        lines = ", ".join(f"{r.postal_code} ({r.customers})" for r in gaps.itertuples())
        description += (
            f" ZIP codes without weather that day (customers): {lines or 'none (no ZIP code)'}."
            " What to do: customers without a ZIP code need one (postal_code_completeness); "
            "ask the weather provider for the missing ZIP codes and days."
        )
    return Outcome(
        verdict,
        description,
        uncovered,
        {
            "checked_day": latest.day,
            "coverage_share": 1 - bad_share,
            "goal": goal,
            "days_below_goal_of_last_30": len(below),
            "zip_codes_without_weather": markdown_table(gaps, ["postal_code", "customers"]),
        },
        [DayOutcome(latest.day, verdict, uncovered, description)],
    )
