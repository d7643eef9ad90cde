-- Rolling 90-day metrics per behavioural segment (segments derived from behaviour in
-- int_activity__customer_behaviour, not taken from any source field), as of the last day
-- with data: one row per segment.

with behaviour as (
    select * from {{ ref('int_activity__customer_behaviour') }}
),

totals as (
    select count(*) as all_customers from behaviour
)

select
    behaviour.behaviour_segment,
    max(behaviour.as_of_date) as as_of_date,
    count(*) as customers,
    cast(count(*) as {{ dbt.type_float() }}) / max(totals.all_customers) as customer_share,
    sum(behaviour.value_90d) as value_90d,
    sum(behaviour.card_spend_90d) as card_spend_90d,
    sum(behaviour.order_value_90d) as order_value_90d,
    sum(behaviour.transactions_90d) as transactions_90d,
    sum(behaviour.orders_90d) as orders_90d,
    sum(behaviour.declined_transactions_90d) as declined_transactions_90d,
    sum(behaviour.value_90d) / count(*) as avg_value_90d_per_customer,
    sum(behaviour.card_spend_90d) / nullif(sum(behaviour.transactions_90d), 0)
        as avg_transaction_value_90d,
    cast(sum(behaviour.declined_transactions_90d) as {{ dbt.type_float() }})
        / nullif(sum(behaviour.transactions_90d + behaviour.declined_transactions_90d), 0)
        as decline_rate_90d,
    avg(behaviour.recency_days) as avg_recency_days,
    avg(behaviour.active_days_90d) as avg_active_days_90d
from behaviour
cross join totals
group by behaviour.behaviour_segment
