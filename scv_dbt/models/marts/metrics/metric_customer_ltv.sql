-- Customer lifetime value so far: approved card spend plus shop order value (imputed as
-- in int_activity__customer_day) over the whole history, per current customer, with the
-- average per active month and a 12-month run rate from the last 365 days.

with behaviour as (
    select * from {{ ref('int_activity__customer_behaviour') }}
),

months as (
    select
        scv_customer_id,
        count(first_active_day) as active_months
    from {{ ref('int_activity__customer_month') }}
    group by scv_customer_id
)

select
    behaviour.scv_customer_id,
    behaviour.as_of_date,
    behaviour.first_activity_date,
    behaviour.last_activity_date,
    behaviour.lifetime_value,
    behaviour.lifetime_card_spend,
    behaviour.lifetime_order_value,
    coalesce(months.active_months, 0) as active_months,
    behaviour.lifetime_value / nullif(months.active_months, 0) as avg_value_per_active_month,
    behaviour.value_365d as value_last_365d,
    behaviour.behaviour_segment,
    ntile(10) over (order by behaviour.lifetime_value desc, behaviour.scv_customer_id)
        as ltv_decile
from behaviour
left join months on months.scv_customer_id = behaviour.scv_customer_id
