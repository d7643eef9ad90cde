-- Month-over-month change of each customer's spend (approved card spend plus shop order
-- value): one row per customer and calendar month from the customer's first active month
-- to the month of the last day with data, months without activity included as zero.

with monthly as (
    select scv_customer_id, month_start_date, card_spend, order_value, total_value
    from {{ ref('int_activity__customer_month') }}
),

months as (
    select distinct month_start_date
    from {{ ref('dim_date') }}
    cross join {{ ref('int_activity__as_of_date') }} as as_of
    where date_day <= as_of.as_of_date
),

customer_months as (
    select customers.scv_customer_id, months.month_start_date
    from (
        select scv_customer_id, min(month_start_date) as first_month
        from monthly group by scv_customer_id
    ) as customers
    inner join months on months.month_start_date >= customers.first_month
),

filled as (
    select
        customer_months.scv_customer_id,
        customer_months.month_start_date,
        coalesce(monthly.card_spend, 0) as card_spend,
        coalesce(monthly.order_value, 0) as order_value,
        coalesce(monthly.total_value, 0) as total_value
    from customer_months
    left join monthly
        on monthly.scv_customer_id = customer_months.scv_customer_id
        and monthly.month_start_date = customer_months.month_start_date
)

select
    filled.*,
    lag(total_value) over (partition by scv_customer_id order by month_start_date)
        as previous_month_value,
    total_value - lag(total_value) over (partition by scv_customer_id order by month_start_date)
        as value_change,
    (total_value - lag(total_value) over (partition by scv_customer_id order by month_start_date))
        / nullif(lag(total_value) over (partition by scv_customer_id order by month_start_date), 0)
        as value_change_pct
from filled
