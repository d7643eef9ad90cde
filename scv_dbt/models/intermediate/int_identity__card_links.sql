-- Who holds which card account: one row per (card account, source identity). A card links
-- to a CRM contact and/or a legacy customer, known from the CRM card account export
-- (contactid, scv_legacycustno) and from the legacy workbooks' Card Account column.
-- Records that share a card are the same person: identity resolution uses these links.

with crm_links as (
    select card_account_id, 'd365' as source_system, contact_id as source_record_id,
           'crm_card_account' as link_source
    from {{ ref('stg_d365__card_accounts') }}
    where contact_id is not null

    union all

    select card_account_id, 'legacy' as source_system, legacy_cust_no as source_record_id,
           'crm_card_account' as link_source
    from {{ ref('stg_d365__card_accounts') }}
    where legacy_cust_no is not null
),

workbook_links as (
    select card_account_id, 'legacy' as source_system, cust_no as source_record_id,
           'legacy_workbook' as link_source
    from {{ ref('stg_legacy__customers') }}
    where card_account_id is not null
),

links as (
    select * from crm_links
    union all
    select * from workbook_links
),

grouped as (
    select
        card_account_id,
        source_system,
        source_record_id,
        max(case when link_source = 'crm_card_account' then 1 else 0 end) = 1 as linked_in_crm,
        max(case when link_source = 'legacy_workbook' then 1 else 0 end) = 1
            as linked_in_legacy_workbook
    from links
    group by card_account_id, source_system, source_record_id
)

select
    grouped.card_account_id,
    grouped.source_system,
    grouped.source_record_id,
    grouped.linked_in_crm,
    grouped.linked_in_legacy_workbook,
    card_accounts.card_account_id is not null as card_known_in_crm,
    card_accounts.card_type,
    card_accounts.is_active as card_is_active
from grouped
left join {{ ref('stg_d365__card_accounts') }} as card_accounts
    on grouped.card_account_id = card_accounts.card_account_id
