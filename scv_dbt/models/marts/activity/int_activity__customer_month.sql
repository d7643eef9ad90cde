{{ incremental_by_activity_month() }}
-- Activity per resolved customer and calendar month, summed from int_activity__customer_day:
-- the first and last days of each kind of activity and the month's totals. Models that need
-- whole months of history (churn features, month-over-month spend) read this instead of
-- grouping every customer day again. Incremental by month: a build redoes the months of the
-- days whose facts or holds changed since the last one (activity_months_to_rebuild).

select
    scv_customer_id,
    cast({{ dbt.date_trunc('month', 'activity_date') }} as date) as month_start_date,
    min(activity_date) as first_day,
    min(case when is_active_day then activity_date end) as first_active_day,
    max(case when is_active_day then activity_date end) as last_active_day,
    min(case when approved_transactions + declined_transactions > 0 then activity_date end)
        as first_card_day,
    max(case when approved_transactions > 0 then activity_date end) as last_card_day,
    min(case when orders_placed > 0 then activity_date end) as first_order_day,
    max(case when orders > 0 then activity_date end) as last_order_day,
    sum(card_spend) as card_spend,
    sum(order_value) as order_value,
    sum(total_value) as total_value,
    sum(approved_transactions) as approved_transactions,
    sum(declined_transactions) as declined_transactions,
    sum(orders) as orders,
    sum(case when is_active_day then 1 else 0 end) as active_days,
    {{ built_at() }} as _built_at
from {{ ref('int_activity__customer_day') }}
where {{ activity_days_of_months_to_rebuild('activity_date') }}
group by 1, 2
