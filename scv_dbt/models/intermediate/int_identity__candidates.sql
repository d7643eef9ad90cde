-- Every source identity of a customer, in one shape for identity resolution: one row per
-- CRM contact, legacy customer and web shop customer, with the standardised values the
-- matching rules compare (names, birth date, e-mail, E.164 phones, normalised address,
-- card accounts).

with card_lists as (
    select
        source_system,
        source_record_id,
        {{ dbt.listagg('card_account_id', "','", 'order by card_account_id') }} as card_account_ids
    from {{ ref('int_identity__card_links') }}
    group by source_system, source_record_id
),

-- for contacts without an address of their own: their primary CRM address, else bill-to,
-- else ship-to, else any (the most recently modified)
crm_addresses as (
    select contact_id, address_line1, city, state_code, postal_code
    from {{ ref('stg_d365__customer_addresses') }}
    {{ dedupe_latest(
        partition_by='contact_id',
        order_by='case address_type_code when 3 then 1 when 1 then 2 when 2 then 3 else 4 end, '
            ~ 'modified_at desc nulls last, customer_address_id'
    ) }}
),

d365 as (
    select
        'd365' as source_system,
        contacts.contact_id as source_record_id,
        contacts.first_name,
        contacts.last_name,
        contacts.full_name,
        contacts.birth_date,
        contacts.email,
        {#- best phone: mobile, else home, else business; the alternative: the next different one #}
        {%- set best_phone = 'coalesce(contacts.mobile_phone, contacts.home_phone, contacts.business_phone)' %}
        {{ best_phone }} as phone,
        coalesce(
            nullif(contacts.home_phone, {{ best_phone }}),
            nullif(contacts.business_phone, {{ best_phone }})
        ) as phone_alt,
        {%- for field in ['address_line1', 'city', 'state_code', 'postal_code'] %}
        case
            when contacts.address_line1 is not null or contacts.postal_code is not null
                then contacts.{{ field }}
            else crm_addresses.{{ field }}
        end as {{ field }},
        {%- endfor %}
        contacts.modified_at as source_updated_at,
        contacts.is_active
    from {{ ref('stg_d365__contacts') }} as contacts
    left join crm_addresses
        on contacts.contact_id = crm_addresses.contact_id
),

legacy as (
    select
        'legacy' as source_system,
        cust_no as source_record_id,
        first_name,
        last_name,
        full_name,
        birth_date,
        email,
        phone,
        cast(null as {{ dbt.type_string() }}) as phone_alt,
        address_line1,
        city,
        state_code,
        postal_code,
        _loaded_at as source_updated_at,
        cast(null as boolean) as is_active
    from {{ ref('stg_legacy__customers') }}
),

shop_orders as (
    select shop_customer_id, customer_email, order_ts, order_id
    from {{ ref('stg_shop__orders') }}
    where shop_customer_id is not null
),

shop_latest_emails as (
    select shop_customer_id, customer_email
    from shop_orders
    where customer_email is not null
    {{ dedupe_latest(partition_by='shop_customer_id', order_by='order_ts desc, order_id desc') }}
),

shop as (
    select
        'shop' as source_system,
        shop_orders.shop_customer_id as source_record_id,
        cast(null as {{ dbt.type_string() }}) as first_name,
        cast(null as {{ dbt.type_string() }}) as last_name,
        cast(null as {{ dbt.type_string() }}) as full_name,
        cast(null as date) as birth_date,
        max(shop_latest_emails.customer_email) as email,
        cast(null as {{ dbt.type_string() }}) as phone,
        cast(null as {{ dbt.type_string() }}) as phone_alt,
        cast(null as {{ dbt.type_string() }}) as address_line1,
        cast(null as {{ dbt.type_string() }}) as city,
        cast(null as {{ dbt.type_string() }}) as state_code,
        cast(null as {{ dbt.type_string() }}) as postal_code,
        max(shop_orders.order_ts) as source_updated_at,
        cast(null as boolean) as is_active
    from shop_orders
    left join shop_latest_emails
        on shop_orders.shop_customer_id = shop_latest_emails.shop_customer_id
    group by shop_orders.shop_customer_id
),

candidates as (
    select * from d365
    union all
    select * from legacy
    union all
    select * from shop
)

select
    candidates.source_system,
    candidates.source_record_id,
    candidates.first_name,
    candidates.last_name,
    candidates.full_name,
    candidates.birth_date,
    candidates.email,
    candidates.phone,
    candidates.phone_alt,
    {{ normalize_address_line('candidates.address_line1') }} as address_line1,
    candidates.city,
    candidates.state_code,
    candidates.postal_code,
    card_lists.card_account_ids,
    candidates.source_updated_at,
    candidates.is_active
from candidates
left join card_lists
    on candidates.source_system = card_lists.source_system
    and candidates.source_record_id = card_lists.source_record_id
