-- One row per co-branded card account (the latest exported version). A card is held by a
-- CRM contact, or still by a legacy customer (scv_legacycustno), or by both.

with latest as (
    select *
    from {{ source('bronze', 'd365_cardaccount') }}
    {{ dedupe_latest(
        partition_by='upper(trim(scv_cardaccountid))',
        order_by='modifiedon desc nulls last, _loaded_at desc, _source_file desc, _source_row desc'
    ) }}
)

select
    upper(trim(scv_cardaccountid)) as card_account_id,
    lower({{ clean_text('contactid') }}) as contact_id,
    upper({{ clean_text('scv_legacycustno') }}) as legacy_cust_no,
    {{ proper_case(clean_text('scv_cardtype')) }} as card_type,
    scv_creditlimit as credit_limit,
    scv_openedon as opened_on,
    statecode,
    statecode = 0 as is_active,
    modifiedon as modified_at,
    _source_file,
    _batch_id,
    _loaded_at
from latest
