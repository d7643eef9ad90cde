-- One row per legacy customer (Cust No) from the legacy workbooks, every cell parsed from
-- the text typed in Excel. A customer repeated within or across workbooks keeps the row of
-- the latest-loaded workbook (ties: later file name, then lower row in the sheet).

with latest as (
    select
        *,
        upper(trim(cust_no)) as cust_no_key,
        count(*) over (partition by upper(trim(cust_no))) as bronze_row_count
    from {{ source('bronze', 'legacy_customers') }}
    {{ dedupe_latest(
        partition_by='upper(trim(cust_no))',
        order_by='_loaded_at desc, _source_file desc, _source_row desc'
    ) }}
),

cleaned as (
    select
        cust_no_key as cust_no,
        {{ clean_text('customer_name') }} as customer_name,
        {{ clean_text('email') }} as email_text,
        {{ clean_text('phone') }} as phone_text,
        {{ clean_text('address') }} as address_text,
        {{ clean_text('town') }} as town,
        {{ state_lookup_key('state') }} as state_key,
        {{ clean_text('post_code') }} as post_code,
        {{ clean_text('dob') }} as dob,
        {{ clean_text('customer_since') }} as customer_since_text,
        upper({{ clean_text('card_account') }}) as card_account_id,
        bronze_row_count,
        _source_file,
        _source_row,
        _batch_id,
        _loaded_at
    from latest
),

name_parts as (
    select
        cleaned.*,
        {{ person_name_part('customer_name', 'first') }} as first_name_text,
        {{ person_name_part('customer_name', 'middle') }} as middle_name_text,
        {{ person_name_part('customer_name', 'last') }} as last_name_text
    from cleaned
),

standardised as (
    select
        name_parts.*,
        {{ proper_case('first_name_text') }} as first_name,
        {{ proper_case('middle_name_text') }} as middle_name,
        {{ proper_case('last_name_text') }} as last_name,
        {{ normalize_email('email_text') }} as email,
        {{ normalize_phone('phone_text') }} as phone,
        {{ proper_case('address_text') }} as address_line1,
        {{ proper_case('town') }} as city,
        coalesce(state_by_code.code, state_by_name.code) as state_code,
        {{ normalize_postal_code('post_code') }} as postal_code,
        {{ parse_date_multi('dob') }} as birth_date,
        {{ parse_date_multi('customer_since_text') }} as customer_since
    from name_parts
    left join {{ ref('us_states') }} as state_by_code
        on name_parts.state_key = state_by_code.code
    left join {{ ref('us_states') }} as state_by_name
        on name_parts.state_key = upper(state_by_name.name)
),

flagged as (
    select
        *,
        {{ is_unparsable('email_text', 'email') }} as email_unparsable,
        {{ is_unparsable('phone_text', 'phone') }} as phone_unparsable,
        {{ is_unparsable('state_key', 'state_code') }} as state_unparsable,
        {{ is_unparsable('post_code', 'postal_code') }} as postal_code_unparsable,
        {{ is_unparsable('dob', 'birth_date') }} as dob_unparsable,
        {{ is_unparsable('customer_since_text', 'customer_since') }} as customer_since_unparsable
    from standardised
)

select
    cust_no,
    customer_name,
    first_name,
    middle_name,
    last_name,
    nullif(trim(coalesce(first_name, '') || ' ' || coalesce(last_name, '')), '') as full_name,
    email,
    phone,
    address_line1,
    city,
    state_code,
    postal_code,
    birth_date,
    customer_since,
    card_account_id,
    email_unparsable,
    phone_unparsable,
    state_unparsable,
    postal_code_unparsable,
    dob_unparsable,
    customer_since_unparsable,
    {{ count_true([
        'email_unparsable', 'phone_unparsable', 'state_unparsable',
        'postal_code_unparsable', 'dob_unparsable', 'customer_since_unparsable'
    ]) }} as parse_issue_count,
    bronze_row_count,
    _source_file,
    _source_row,
    _batch_id,
    _loaded_at
from flagged
