-- The golden record: one row per scv_customer_id, each attribute taken from the source
-- identity that wins that attribute's survivorship rule (README.md of this folder).
-- Source identities come from the staging models, joined through the crosswalk.

with crosswalk as (
    select source_system, source_record_id, scv_customer_id
    from {{ ref('int_identity__crosswalk') }}
),

customers as (
    select distinct scv_customer_id from crosswalk
),

contacts as (
    select crosswalk.scv_customer_id, contacts.*
    from {{ ref('stg_d365__contacts') }} as contacts
    inner join crosswalk
        on crosswalk.source_system = 'd365'
        and crosswalk.source_record_id = contacts.contact_id
),

legacy as (
    select crosswalk.scv_customer_id, legacy.*
    from {{ ref('stg_legacy__customers') }} as legacy
    inner join crosswalk
        on crosswalk.source_system = 'legacy'
        and crosswalk.source_record_id = legacy.cust_no
),

shop_orders as (
    select crosswalk.scv_customer_id, orders.shop_customer_id, orders.customer_email,
        orders.order_ts, orders.order_id
    from {{ ref('stg_shop__orders') }} as orders
    inner join crosswalk
        on crosswalk.source_system = 'shop'
        and crosswalk.source_record_id = orders.shop_customer_id
),

crm_addresses as (
    select crosswalk.scv_customer_id, addresses.*
    from {{ ref('stg_d365__customer_addresses') }} as addresses
    inner join crosswalk
        on crosswalk.source_system = 'd365'
        and crosswalk.source_record_id = addresses.contact_id
),

-- cards held by a contact or by a legacy customer of the customer (two equi-joins: one
-- join on either key cannot hash, and compares every card with every identity)
cards as (
    {%- for system, holder in [('d365', 'contact_id'), ('legacy', 'legacy_cust_no')] %}
    select crosswalk.scv_customer_id, cards.card_account_id, cards.opened_on
    from {{ ref('stg_d365__card_accounts') }} as cards
    inner join crosswalk
        on crosswalk.source_system = '{{ system }}'
        and crosswalk.source_record_id = cards.{{ holder }}
    {{- "\n    union all" if not loop.last }}
    {%- endfor %}
),

-- names: CRM before legacy; the most recently modified record with a name wins
names as (
    select scv_customer_id, first_name, last_name, full_name
    from (
        select scv_customer_id, first_name, last_name, full_name, 1 as priority,
            modified_at as updated_at, contact_id as record_id
        from contacts
        where first_name is not null or last_name is not null
        union all
        select scv_customer_id, first_name, last_name, full_name, 2 as priority,
            _loaded_at as updated_at, cust_no as record_id
        from legacy
        where first_name is not null or last_name is not null
    ) as ranked
    {{ dedupe_latest('scv_customer_id', 'priority, updated_at desc, record_id') }}
),

-- e-mail: the most recent non-null from CRM, else legacy, else the latest shop order's
emails as (
    select scv_customer_id, email
    from (
        select scv_customer_id, email, 1 as priority, modified_at as updated_at,
            contact_id as record_id
        from contacts where email is not null
        union all
        select scv_customer_id, email, 2 as priority, _loaded_at as updated_at,
            cust_no as record_id
        from legacy where email is not null
        union all
        select scv_customer_id, customer_email as email, 3 as priority, order_ts as updated_at,
            order_id as record_id
        from shop_orders where customer_email is not null
    ) as ranked
    {{ dedupe_latest('scv_customer_id', 'priority, updated_at desc, record_id') }}
),

-- phone: CRM mobile, else CRM home / business, else legacy; the most recent within each
phones as (
    select scv_customer_id, phone
    from (
        select scv_customer_id, mobile_phone as phone, 1 as priority,
            modified_at as updated_at, contact_id as record_id
        from contacts where mobile_phone is not null
        union all
        select scv_customer_id, coalesce(home_phone, business_phone) as phone, 2 as priority,
            modified_at as updated_at, contact_id as record_id
        from contacts where coalesce(home_phone, business_phone) is not null
        union all
        select scv_customer_id, phone, 3 as priority, _loaded_at as updated_at,
            cust_no as record_id
        from legacy where phone is not null
    ) as ranked
    {{ dedupe_latest('scv_customer_id', 'priority, updated_at desc, record_id') }}
),

-- address: the most recently modified COMPLETE address (street line and ZIP) from the CRM
-- (contact main addresses and customer addresses; on a tie the main address, then primary,
-- bill-to, ship-to, other), else the legacy one
addresses as (
    select scv_customer_id, address_line1, city, state_code, postal_code
    from (
        select scv_customer_id, address_line1, city, state_code, postal_code, 1 as priority,
            modified_at as updated_at, 0 as type_rank, contact_id as record_id
        from contacts
        union all
        select scv_customer_id, address_line1, city, state_code, postal_code, 1 as priority,
            modified_at as updated_at,
            case address_type_code when 3 then 1 when 1 then 2 when 2 then 3 else 4 end
                as type_rank,
            customer_address_id as record_id
        from crm_addresses
        union all
        select scv_customer_id, address_line1, city, state_code, postal_code, 2 as priority,
            _loaded_at as updated_at, 0 as type_rank, cust_no as record_id
        from legacy
    ) as ranked
    where address_line1 is not null and postal_code is not null
    {{ dedupe_latest('scv_customer_id',
        'priority, updated_at desc nulls last, type_rank, record_id') }}
),

-- birth date: the value given by the most source records; on a tie one given by the CRM,
-- then the most recently updated, then the earliest date
birth_date_votes as (
    select scv_customer_id, birth_date,
        count(*) as votes,
        max(from_crm) as from_crm,
        max(updated_at) as updated_at
    from (
        select scv_customer_id, birth_date, 1 as from_crm,
            cast(modified_at as {{ dbt.type_timestamp() }}) as updated_at
        from contacts where birth_date is not null
        union all
        select scv_customer_id, birth_date, 0 as from_crm,
            cast(_loaded_at as {{ dbt.type_timestamp() }}) as updated_at
        from legacy where birth_date is not null
    ) as given
    group by scv_customer_id, birth_date
),

birth_dates as (
    select scv_customer_id, birth_date
    from birth_date_votes
    {{ dedupe_latest('scv_customer_id',
        'votes desc, from_crm desc, updated_at desc, birth_date') }}
),

-- employment status: CRM only, the most recently modified contact that has one
employment as (
    select scv_customer_id, employment_status
    from contacts
    where employment_status is not null
    {{ dedupe_latest('scv_customer_id', 'modified_at desc, contact_id') }}
),

-- customer since: the earliest of CRM createdon, legacy Customer Since, card opened on
since as (
    select scv_customer_id, min(since_date) as customer_since
    from (
        select scv_customer_id, cast(created_at as date) as since_date from contacts
        union all
        select scv_customer_id, customer_since as since_date from legacy
        union all
        select scv_customer_id, opened_on as since_date from cards
    ) as dates
    where since_date is not null
    group by scv_customer_id
),

contact_stats as (
    select
        scv_customer_id,
        max(case when is_active then 1 else 0 end) as any_active,
        {{ dbt.listagg('contact_id', "','", 'order by contact_id') }} as d365_contact_ids
    from contacts
    group by scv_customer_id
),

identity_counts as (
    select
        scv_customer_id,
        sum(case when source_system = 'd365' then 1 else 0 end) as d365_contacts,
        sum(case when source_system = 'legacy' then 1 else 0 end) as legacy_customers,
        sum(case when source_system = 'shop' then 1 else 0 end) as shop_accounts
    from crosswalk
    group by scv_customer_id
),

systems as (
    select
        scv_customer_id,
        {{ dbt.listagg('source_system', "','", 'order by source_system') }} as source_systems
    from (select distinct scv_customer_id, source_system from crosswalk) as distinct_systems
    group by scv_customer_id
),

updates as (
    select scv_customer_id, max(updated_at) as golden_updated_at
    from (
        select scv_customer_id, cast(modified_at as {{ dbt.type_timestamp() }}) as updated_at
        from contacts
        union all
        select scv_customer_id, cast(modified_at as {{ dbt.type_timestamp() }}) as updated_at
        from crm_addresses
        union all
        select scv_customer_id, cast(_loaded_at as {{ dbt.type_timestamp() }}) as updated_at
        from legacy
        union all
        select scv_customer_id, cast(order_ts as {{ dbt.type_timestamp() }}) as updated_at
        from shop_orders
    ) as all_updates
    group by scv_customer_id
)

select
    customers.scv_customer_id,
    names.first_name,
    names.last_name,
    names.full_name,
    emails.email,
    phones.phone,
    addresses.address_line1,
    addresses.city,
    addresses.state_code,
    addresses.postal_code,
    birth_dates.birth_date,
    employment.employment_status,
    since.customer_since,
    coalesce(contact_stats.any_active, 0) = 1 as is_active,
    systems.source_systems,
    identity_counts.d365_contacts,
    identity_counts.legacy_customers,
    identity_counts.shop_accounts,
    contact_stats.d365_contact_ids,
    updates.golden_updated_at
from customers
left join names on customers.scv_customer_id = names.scv_customer_id
left join emails on customers.scv_customer_id = emails.scv_customer_id
left join phones on customers.scv_customer_id = phones.scv_customer_id
left join addresses on customers.scv_customer_id = addresses.scv_customer_id
left join birth_dates on customers.scv_customer_id = birth_dates.scv_customer_id
left join employment on customers.scv_customer_id = employment.scv_customer_id
left join since on customers.scv_customer_id = since.scv_customer_id
left join contact_stats on customers.scv_customer_id = contact_stats.scv_customer_id
left join identity_counts on customers.scv_customer_id = identity_counts.scv_customer_id
left join systems on customers.scv_customer_id = systems.scv_customer_id
left join updates on customers.scv_customer_id = updates.scv_customer_id
