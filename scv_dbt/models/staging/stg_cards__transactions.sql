{{ config(materialized='view') }}
-- One row per card transaction. A transaction delivered again keeps its latest loaded row.
-- `_file_date`, the day of the landing file, is the event day: incremental facts read this
-- view by `_file_date` range, and that filter reaches the bronze scan (see not_superseded).

with latest as (
    select *
    from {{ source('bronze', 'card_transactions') }} as delivered
    where {{ not_superseded(source('bronze', 'card_transactions'), 'delivered', 'transaction_id') }}
),

cleaned as (
    select
        trim(transaction_id) as transaction_id,
        upper(trim(card_account_id)) as card_account_id,
        transaction_ts,
        _file_date,
        amount,
        {{ trim_to_null('merchant_name') }} as merchant_name,
        {{ trim_to_null('merchant_category') }} as merchant_category,
        {{ trim_to_null('mcc') }} as mcc_text,
        replace(replace(lower({{ trim_to_null('channel') }}), ' ', '_'), '-', '_') as channel,
        lower({{ trim_to_null('status') }}) as status,
        lower({{ trim_to_null('decline_reason') }}) as decline_reason,
        _source_file,
        _source_row,
        _batch_id,
        _loaded_at
    from latest
),

standardised as (
    select
        cleaned.*,
        {# a code typed as a number loses its leading zero: '742' is '0742' #}
        case
            when {{ regexp_full_match('mcc_text', '[0-9]{3,4}') }} then lpad(mcc_text, 4, '0')
        end as mcc
    from cleaned
)

select
    transaction_id,
    card_account_id,
    transaction_ts,
    cast(transaction_ts as date) as transaction_date,
    _file_date,
    amount,
    merchant_name,
    merchant_category,
    mcc,
    channel,
    status,
    status = 'approved' as is_approved,
    decline_reason,
    {{ is_unparsable('mcc_text', 'mcc') }} as mcc_unparsable,
    _source_file,
    _source_row,
    _batch_id,
    _loaded_at
from standardised
