-- Merchant categories of the card processor: one row per category seen on a transaction,
-- with its merchant category codes (MCC) and when it was first and last used. Read from
-- bronze (two columns) so that the dimension costs a column scan, not the history's dedupe.

with used as (
    select
        {{ trim_to_null('merchant_category') }} as merchant_category,
        case
            when {{ regexp_full_match(trim_to_null('mcc'), '[0-9]{3,4}') }}
                then lpad(trim(mcc), 4, '0')
        end as mcc,
        _file_date
    from {{ source('bronze', 'card_transactions') }}
)

select
    merchant_category,
    {{ dbt.hash('merchant_category') }} as merchant_category_key,
    min(mcc) as primary_mcc,
    count(distinct mcc) as mcc_count,
    min(_file_date) as first_seen_date,
    max(_file_date) as last_seen_date
from used
where merchant_category is not null
group by merchant_category
