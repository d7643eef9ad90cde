-- The customer dimension, SCD type 2: one row per version of the golden record (from the
-- snapshot). The current version has valid_to NULL and is_current true.

select
    {{ dbt.hash(dbt.concat([
        'scv_customer_id', "'|'", 'cast(dbt_valid_from as ' ~ dbt.type_string() ~ ')'
    ])) }} as customer_sk,
    scv_customer_id,
    first_name,
    last_name,
    full_name,
    email,
    phone,
    address_line1,
    city,
    state_code,
    postal_code,
    birth_date,
    employment_status,
    customer_since,
    is_active,
    source_systems,
    d365_contacts,
    legacy_customers,
    shop_accounts,
    d365_contact_ids,
    golden_updated_at,
    dbt_valid_from as valid_from,
    dbt_valid_to as valid_to,
    dbt_valid_to is null as is_current
from {{ ref('snap_customer_golden_record') }}
