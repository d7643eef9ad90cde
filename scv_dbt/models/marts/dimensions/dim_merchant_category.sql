-- Merchant categories of the card processor: one row per category seen on a transaction,
-- with its merchant category codes (MCC) and when it was first and last used. Read from
-- bronze (three columns) so that the dimension costs a column scan, not the history's dedupe;
-- the values are cleaned once per distinct pair, not once per transaction.

with delivered as (
    select merchant_category, mcc, min(_file_date) as first_seen, max(_file_date) as last_seen
    from {{ source('bronze', 'card_transactions') }}
    group by merchant_category, mcc
),

used as (
    select
        {{ trim_to_null('merchant_category') }} as merchant_category,
        case
            when {{ regexp_full_match(trim_to_null('mcc'), '[0-9]{3,4}') }}
                then lpad(trim(mcc), 4, '0')
        end as mcc,
        first_seen,
        last_seen
    from delivered
)

select
    merchant_category,
    {{ dbt.hash('merchant_category') }} as merchant_category_key,
    min(mcc) as primary_mcc,
    count(distinct mcc) as mcc_count,
    min(first_seen) as first_seen_date,
    max(last_seen) as last_seen_date
from used
where merchant_category is not null
group by merchant_category
