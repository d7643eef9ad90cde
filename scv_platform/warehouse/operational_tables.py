"""DDL of the operational tables: the load manifest, the quarantine and the history of check
results (contracts.md).

The DDL runs unchanged on DuckDB and Snowflake.
"""

from __future__ import annotations

from typing import Any

SCHEMAS = ("bronze", "quality")

LOAD_MANIFEST = "bronze.load_manifest"
QUARANTINE = "quality.quarantine"
CHECK_RESULTS = "quality.check_results"

_DDL = (
    f"""
    CREATE TABLE IF NOT EXISTS {LOAD_MANIFEST} (
        source VARCHAR NOT NULL,
        source_file VARCHAR NOT NULL,
        file_date DATE,
        file_size BIGINT NOT NULL,
        content_sha256 VARCHAR NOT NULL,
        status VARCHAR NOT NULL,
        rows_read BIGINT NOT NULL,
        rows_loaded BIGINT NOT NULL,
        rows_quarantined BIGINT NOT NULL,
        header_columns VARCHAR,
        message VARCHAR,
        batch_id VARCHAR NOT NULL,
        run_id VARCHAR,
        loaded_at TIMESTAMP NOT NULL,
        is_current BOOLEAN NOT NULL
    )
    """,
    f"""
    CREATE TABLE IF NOT EXISTS {QUARANTINE} (
        source VARCHAR NOT NULL,
        source_file VARCHAR,
        source_row BIGINT,
        column_name VARCHAR,
        reason VARCHAR NOT NULL,
        check_name VARCHAR NOT NULL,
        partition_key VARCHAR,
        original_values VARCHAR,
        batch_id VARCHAR,
        run_id VARCHAR,
        quarantined_at TIMESTAMP NOT NULL,
        released_at TIMESTAMP,
        release_reason VARCHAR,
        holds_row BOOLEAN
    )
    """,
    # warehouses created before data-quality checks quarantined fact rows
    f"ALTER TABLE {QUARANTINE} ADD COLUMN IF NOT EXISTS holds_row BOOLEAN",
    f"""
    CREATE TABLE IF NOT EXISTS {CHECK_RESULTS} (
        check_name VARCHAR NOT NULL,
        asset_key VARCHAR NOT NULL,
        partition_key VARCHAR,
        passed BOOLEAN NOT NULL,
        severity VARCHAR NOT NULL,
        failed_rows BIGINT,
        description VARCHAR,
        run_id VARCHAR,
        evaluated_at TIMESTAMP NOT NULL
    )
    """,
)


def operational_ddl() -> list[str]:
    """Statements creating the schemas and tables above when they are missing."""
    return [f"CREATE SCHEMA IF NOT EXISTS {schema}" for schema in SCHEMAS] + list(_DDL)


def ensure_operational_tables(con: Any) -> None:
    for statement in operational_ddl():
        con.execute(statement)
