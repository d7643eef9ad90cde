{{ incremental_by_activity_month(and_later=true) }}
-- Month-over-month change of each customer's spend (approved card spend plus shop order
-- value): one row per customer and calendar month from the customer's first active month
-- to the month of the last day with data, months without activity included as zero.
-- Incremental by month: a build redoes every month from the earliest one whose facts or
-- holds changed (a month's row also carries the month before, and a customer's calendar
-- starts at their first month), so a daily run redoes the current month only.

with monthly as (
    select scv_customer_id, month_start_date, card_spend, order_value, total_value
    from {{ ref('int_activity__customer_month') }}
),

-- the months to build, and the month before the first of them (its value is the first
-- one's previous month)
months as (
    select distinct month_start_date
    from {{ ref('dim_date') }}
    cross join {{ ref('int_activity__as_of_date') }} as as_of
    where date_day <= as_of.as_of_date
        and {{ activity_months_to_rebuild('month_start_date', and_later=true) }}
),

months_and_previous as (
    select month_start_date from months
    union
    select cast({{ dbt.dateadd('month', -1, 'min(month_start_date)') }} as date) from months
),

customer_months as (
    select customers.scv_customer_id, months.month_start_date
    from (
        select scv_customer_id, min(month_start_date) as first_month
        from monthly group by scv_customer_id
    ) as customers
    inner join months_and_previous as months
        on months.month_start_date >= customers.first_month
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
),

changes as (
    select
        filled.*,
        lag(total_value) over (partition by scv_customer_id order by month_start_date)
            as previous_month_value
    from filled
)

select
    scv_customer_id,
    month_start_date,
    card_spend,
    order_value,
    total_value,
    previous_month_value,
    total_value - previous_month_value as value_change,
    (total_value - previous_month_value) / nullif(previous_month_value, 0) as value_change_pct,
    {{ built_at() }} as _built_at
from changes
where month_start_date in (select month_start_date from months)
