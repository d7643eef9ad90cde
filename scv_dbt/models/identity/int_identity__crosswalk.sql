{{ config(
    pre_hook=[
        "create schema if not exists {{ source('gold', 'customer_crosswalk').include(identifier=false) }}",
        "create table if not exists {{ source('gold', 'customer_crosswalk') }} (
            source_system {{ dbt.type_string() }},
            source_record_id {{ dbt.type_string() }},
            scv_customer_id {{ dbt.type_string() }},
            match_rule {{ dbt.type_string() }},
            match_probability {{ dbt.type_float() }},
            resolved_at {{ dbt.type_timestamp() }}
        )"
    ]
) }}
-- The identity crosswalk written by the Python identity resolution (gold.customer_crosswalk),
-- as the golden record reads it: one row per source identity that has a customer id.
-- The pre-hook creates an EMPTY crosswalk only when identity resolution has never run (a
-- dbt-only build then still passes, with no customers); the Python asset replaces the table.

select
    source_system,
    source_record_id,
    scv_customer_id,
    match_rule,
    match_probability,
    resolved_at
from {{ source('gold', 'customer_crosswalk') }}
where scv_customer_id is not null
    and source_record_id is not null
