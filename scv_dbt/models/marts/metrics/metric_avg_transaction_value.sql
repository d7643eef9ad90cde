{{ incremental_by_activity_month() }}
-- Average card transaction value per month, merchant category and channel (approved
-- transactions), with counts and the decline rate. Every transaction counts, resolved to a
-- customer or not, except those a data-quality check holds in quality.quarantine
-- (int_quality__held_fact_rows) until they are released.
-- Incremental by month: a build redoes the months of the days whose facts or holds changed
-- since the last one (activity_months_to_rebuild), so a daily run counts one month again.

select
    cast({{ dbt.date_trunc('month', 'transaction_date') }} as date) as month_start_date,
    coalesce(merchant_category, 'Unknown') as merchant_category,
    coalesce(channel, 'unknown') as channel,
    sum(case when is_approved then 1 else 0 end) as approved_transactions,
    sum(case when is_approved then 0 else 1 end) as declined_transactions,
    sum(case when is_approved then amount else 0 end) as approved_amount,
    sum(case when is_approved then amount else 0 end)
        / nullif(sum(case when is_approved then 1 else 0 end), 0) as avg_transaction_value,
    cast(sum(case when is_approved then 0 else 1 end) as {{ dbt.type_float() }})
        / count(*) as decline_rate,
    count(distinct scv_customer_id) as customers,
    {{ built_at() }} as _built_at
from {{ ref('fct_transactions') }} as transactions
where {{ not_held('fct_transactions', 'transactions') }}
    and {{ activity_days_of_months_to_rebuild('transaction_date') }}
group by 1, 2, 3
