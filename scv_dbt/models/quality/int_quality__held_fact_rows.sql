{{ config(
    pre_hook=[
        "create schema if not exists {{ source('quality', 'quarantine').include(identifier=false) }}",
        "create table if not exists {{ source('quality', 'quarantine') }} (
            source {{ dbt.type_string() }} not null,
            source_file {{ dbt.type_string() }},
            source_row {{ dbt.type_bigint() }},
            column_name {{ dbt.type_string() }},
            reason {{ dbt.type_string() }} not null,
            check_name {{ dbt.type_string() }} not null,
            partition_key {{ dbt.type_string() }},
            original_values {{ dbt.type_string() }},
            batch_id {{ dbt.type_string() }},
            run_id {{ dbt.type_string() }},
            quarantined_at {{ dbt.type_timestamp() }} not null,
            released_at {{ dbt.type_timestamp() }},
            release_reason {{ dbt.type_string() }},
            holds_row {{ dbt.type_boolean() }}
        )",
        "alter table {{ source('quality', 'quarantine') }} add column if not exists holds_row {{ dbt.type_boolean() }}"
    ]
) }}
-- Fact rows held out of the marts: flagged by a row-level data-quality check (Python asset
-- checks in scv_platform/quality) whose rule holds the row, and not released. One row per
-- held fact row, named by its lineage (the bronze file and row it was loaded from). The
-- marts anti-join this view; a row released in quality.quarantine (or no longer flagged)
-- reaches them again on their next build. The pre-hooks create the quarantine when nothing
-- has written it yet (a dbt-only build) and add the holds_row column to an older one.

select distinct
    source,
    source_file,
    source_row
from {{ source('quality', 'quarantine') }}
where holds_row
    and released_at is null
    and source in ('fct_orders', 'fct_transactions')
    and source_file is not null
    and source_row is not null
