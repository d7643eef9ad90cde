{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook=["{{ delete_rows_to_rebuild(activity_days_to_rebuild('activity_date')) }}"]
) }}
-- Activity per resolved customer and day: approved card spend and counts, declines, and
-- shop orders with their value. Order value is imputed for sums only: an empty
-- total_amount counts as quantity x unit_price (fct_orders keeps the raw value);
-- cancelled and returned orders add no value. Fact rows without a resolved customer are
-- not here (they are flagged and counted on the facts), nor are rows a data-quality check
-- holds in quality.quarantine (int_quality__held_fact_rows) until they are released.
-- Incremental by day: a build redoes only the days whose facts or holds changed since the
-- last one (activity_days_to_rebuild), so a daily run touches the new day alone.

with card_days as (
    select
        scv_customer_id,
        transaction_date as activity_date,
        sum(case when is_approved then amount else 0 end) as card_spend,
        sum(case when is_approved then 1 else 0 end) as approved_transactions,
        sum(case when is_approved then 0 else 1 end) as declined_transactions,
        sum(case when is_approved and channel = 'online' then 1 else 0 end) as online_transactions,
        sum(case when is_approved and channel = 'mobile' then 1 else 0 end) as mobile_transactions,
        sum(case when is_approved and channel = 'in_store' then 1 else 0 end) as in_store_transactions
    from {{ ref('fct_transactions') }} as transactions
    where scv_customer_id is not null
        and {{ activity_days_to_rebuild('transaction_date') }}
        and {{ not_held('fct_transactions', 'transactions') }}
    group by scv_customer_id, transaction_date
),

order_days as (
    select
        scv_customer_id,
        order_date as activity_date,
        sum(case when is_cancelled_or_returned then 0 else 1 end) as orders,
        sum(case when is_cancelled_or_returned then 0
            else coalesce(total_amount, line_amount) end) as order_value,
        sum(case when not is_cancelled_or_returned and total_amount_missing then 1 else 0 end)
            as orders_with_imputed_total,
        count(*) as orders_placed
    from {{ ref('fct_orders') }} as orders
    where scv_customer_id is not null
        and {{ activity_days_to_rebuild('order_date') }}
        and {{ not_held('fct_orders', 'orders') }}
    group by scv_customer_id, order_date
)

select
    coalesce(card_days.scv_customer_id, order_days.scv_customer_id) as scv_customer_id,
    coalesce(card_days.activity_date, order_days.activity_date) as activity_date,
    coalesce(card_days.card_spend, 0) as card_spend,
    coalesce(card_days.approved_transactions, 0) as approved_transactions,
    coalesce(card_days.declined_transactions, 0) as declined_transactions,
    coalesce(card_days.online_transactions, 0) as online_transactions,
    coalesce(card_days.mobile_transactions, 0) as mobile_transactions,
    coalesce(card_days.in_store_transactions, 0) as in_store_transactions,
    coalesce(order_days.orders, 0) as orders,
    coalesce(order_days.order_value, 0) as order_value,
    coalesce(order_days.orders_with_imputed_total, 0) as orders_with_imputed_total,
    coalesce(order_days.orders_placed, 0) as orders_placed,
    coalesce(card_days.card_spend, 0) + coalesce(order_days.order_value, 0) as total_value,
    coalesce(card_days.approved_transactions, 0) + coalesce(order_days.orders, 0) > 0
        as is_active_day,
    {{ built_at() }} as _built_at
from card_days
full outer join order_days
    on order_days.scv_customer_id = card_days.scv_customer_id
    and order_days.activity_date = card_days.activity_date
