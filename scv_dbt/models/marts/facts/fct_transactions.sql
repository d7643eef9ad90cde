{{ config(
    unique_key='transaction_id',
    pre_hook=["{{ delete_rows_to_rebuild(partition_window('partition_date')) }}"]
) }}
-- Card transactions, one row each, incremental by day: a run builds the days of its
-- partition window (vars min_date/max_date) from the landing files of those days. The
-- holder is resolved through dim_card_account; a transaction whose card is unknown, or
-- whose card has no resolved holder, is kept and flagged (key_issue), never dropped. Rows
-- of earlier days whose resolution changed since they were built are built again too, so a
-- fact always carries the current customer (merges and splits included).

{%- set re_resolved -%}
    select built.transaction_id
    from {{ this }} as built
    left join {{ ref('dim_card_account') }} as cards
        on cards.card_account_id = built.card_account_id
    where not {{ partition_window('built.partition_date') }}
        and (built.is_card_known <> (cards.card_account_id is not null)
            or built.scv_customer_id is distinct from cards.scv_customer_id)
{%- endset %}

with transactions as (
    -- the window's rows, and rows of other days whose holder or card resolves
    -- differently now (customers merged or split, reference data delivered late)
    {{ window_and_re_resolved_rows(ref('stg_cards__transactions'), 'transaction_id', re_resolved) }}
)

select
    transactions.transaction_id,
    transactions.transaction_date,
    transactions.transaction_ts,
    transactions._file_date as partition_date,
    transactions.card_account_id,
    cards.scv_customer_id,
    transactions.amount,
    transactions.merchant_name,
    transactions.merchant_category,
    transactions.mcc,
    transactions.mcc_unparsable,
    transactions.channel,
    transactions.status,
    transactions.is_approved,
    transactions.decline_reason,
    cards.card_account_id is not null as is_card_known,
    cards.scv_customer_id is not null as is_customer_resolved,
    case
        when transactions.card_account_id is null then 'missing_card_account'
        when cards.card_account_id is null then 'unknown_card_account'
        when cards.scv_customer_id is null then 'card_holder_unresolved'
    end as key_issue,
    transactions._source_file,
    transactions._source_row,
    transactions._batch_id,
    transactions._loaded_at,
    {{ built_at() }} as _built_at
from transactions
left join {{ ref('dim_card_account') }} as cards
    on cards.card_account_id = transactions.card_account_id
