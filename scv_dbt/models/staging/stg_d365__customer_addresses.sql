-- One row per CRM customer address (the latest exported version), standardised like the
-- contact's own address.

with latest as (
    select *
    from {{ source('bronze', 'd365_customeraddress') }}
    {{ dedupe_latest(
        partition_by='lower(trim(customeraddressid))',
        order_by='modifiedon desc nulls last, _loaded_at desc, _source_file desc, _source_row desc'
    ) }}
),

cleaned as (
    select
        lower(trim(customeraddressid)) as customer_address_id,
        lower(trim(parentid)) as contact_id,
        addresstypecode,
        {{ clean_text('line1') }} as line1,
        {{ clean_text('city') }} as city_text,
        {{ state_lookup_key('stateorprovince') }} as state_key,
        {{ clean_text('postalcode') }} as postalcode,
        {{ clean_text('country') }} as country,
        modifiedon,
        _source_file,
        _batch_id,
        _loaded_at
    from latest
),

standardised as (
    select
        cleaned.*,
        case addresstypecode
            when 1 then 'bill_to'
            when 2 then 'ship_to'
            when 3 then 'primary'
            when 4 then 'other'
        end as address_type,
        {{ proper_case('line1') }} as address_line1,
        {{ proper_case('city_text') }} as city,
        coalesce(state_by_code.code, state_by_name.code) as state_code,
        {{ normalize_postal_code('postalcode') }} as postal_code,
        {{ normalize_country('country') }} as country_code
    from cleaned
    left join {{ ref('us_states') }} as state_by_code
        on cleaned.state_key = state_by_code.code
    left join {{ ref('us_states') }} as state_by_name
        on cleaned.state_key = upper(state_by_name.name)
),

flagged as (
    select
        *,
        {{ is_unparsable('state_key', 'state_code') }} as state_unparsable,
        {{ is_unparsable('postalcode', 'postal_code') }} as postal_code_unparsable
    from standardised
)

select
    customer_address_id,
    contact_id,
    addresstypecode as address_type_code,
    address_type,
    address_line1,
    city,
    state_code,
    postal_code,
    country_code,
    modifiedon as modified_at,
    state_unparsable,
    postal_code_unparsable,
    {{ count_true(['state_unparsable', 'postal_code_unparsable']) }} as parse_issue_count,
    _source_file,
    _batch_id,
    _loaded_at
from flagged
