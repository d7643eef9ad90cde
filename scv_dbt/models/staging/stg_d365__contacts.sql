-- One row per CRM contact: the latest exported version (by modifiedon, then load order),
-- typed and standardised. Values that cannot be standardised become NULL and are flagged.

with latest as (
    select *
    from {{ source('bronze', 'd365_contact') }}
    {{ dedupe_latest(
        partition_by='lower(trim(contactid))',
        order_by='modifiedon desc nulls last, _loaded_at desc, _source_file desc, _source_row desc'
    ) }}
),

cleaned as (
    select
        lower(trim(contactid)) as contact_id,
        {{ clean_text('firstname') }} as firstname,
        {{ clean_text('lastname') }} as lastname,
        {{ clean_text('emailaddress1') }} as emailaddress1,
        {{ clean_text('telephone1') }} as telephone1,
        {{ clean_text('telephone2') }} as telephone2,
        {{ clean_text('mobilephone') }} as mobilephone,
        {{ clean_text('address1_line1') }} as address1_line1,
        {{ clean_text('address1_city') }} as address1_city,
        {{ state_lookup_key('address1_stateorprovince') }} as state_key,
        {{ clean_text('address1_postalcode') }} as address1_postalcode,
        {{ clean_text('address1_country') }} as address1_country,
        {{ clean_text('scv_employmentstatus') }} as scv_employmentstatus,
        birthdate,
        createdon,
        modifiedon,
        statecode,
        _source_file,
        _batch_id,
        _loaded_at
    from latest
),

standardised as (
    select
        cleaned.*,
        {{ proper_case('firstname') }} as first_name,
        {{ proper_case('lastname') }} as last_name,
        {{ normalize_email('emailaddress1') }} as email,
        {{ normalize_phone('mobilephone') }} as mobile_phone,
        {{ normalize_phone('telephone2') }} as home_phone,
        {{ normalize_phone('telephone1') }} as business_phone,
        {{ proper_case('address1_line1') }} as address_line1,
        {{ proper_case('address1_city') }} as city,
        coalesce(state_by_code.code, state_by_name.code) as state_code,
        {{ normalize_postal_code('address1_postalcode') }} as postal_code,
        {{ normalize_country('address1_country') }} as country_code,
        lower(scv_employmentstatus) as employment_status
    from cleaned
    left join {{ ref('us_states') }} as state_by_code
        on cleaned.state_key = state_by_code.code
    left join {{ ref('us_states') }} as state_by_name
        on cleaned.state_key = upper(state_by_name.name)
),

flagged as (
    select
        *,
        {{ is_unparsable('emailaddress1', 'email') }} as email_unparsable,
        (
            {{ is_unparsable('mobilephone', 'mobile_phone') }}
            or {{ is_unparsable('telephone2', 'home_phone') }}
            or {{ is_unparsable('telephone1', 'business_phone') }}
        ) as phone_unparsable,
        {{ is_unparsable('state_key', 'state_code') }} as state_unparsable,
        {{ is_unparsable('address1_postalcode', 'postal_code') }} as postal_code_unparsable
    from standardised
)

select
    contact_id,
    first_name,
    last_name,
    nullif(trim(coalesce(first_name, '') || ' ' || coalesce(last_name, '')), '') as full_name,
    email,
    mobile_phone,
    home_phone,
    business_phone,
    address_line1,
    city,
    state_code,
    postal_code,
    country_code,
    birthdate as birth_date,
    employment_status,
    statecode,
    statecode = 0 as is_active,
    createdon as created_at,
    modifiedon as modified_at,
    email_unparsable,
    phone_unparsable,
    state_unparsable,
    postal_code_unparsable,
    {{ count_true(['email_unparsable', 'phone_unparsable', 'state_unparsable', 'postal_code_unparsable']) }} as parse_issue_count,
    _source_file,
    _batch_id,
    _loaded_at
from flagged
