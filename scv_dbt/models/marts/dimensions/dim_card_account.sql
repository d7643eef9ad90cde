-- Co-branded card accounts: one row per account of the latest CRM export, with the
-- customer who holds it, resolved through the identity crosswalk from the holding contact,
-- else from the legacy customer that still holds it.

with crosswalk as (
    select source_system, source_record_id, scv_customer_id
    from {{ ref('int_identity__crosswalk') }}
)

select
    cards.card_account_id,
    coalesce(by_contact.scv_customer_id, by_legacy.scv_customer_id) as scv_customer_id,
    case
        when by_contact.scv_customer_id is not null then 'd365_contact'
        when by_legacy.scv_customer_id is not null then 'legacy_customer'
    end as holder_resolved_by,
    cards.contact_id,
    cards.legacy_cust_no,
    cards.card_type,
    cards.credit_limit,
    cards.opened_on,
    cards.is_active,
    cards.modified_at
from {{ ref('stg_d365__card_accounts') }} as cards
left join crosswalk as by_contact
    on by_contact.source_system = 'd365'
    and by_contact.source_record_id = cards.contact_id
left join crosswalk as by_legacy
    on by_legacy.source_system = 'legacy'
    and by_legacy.source_record_id = cards.legacy_cust_no
