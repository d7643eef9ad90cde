-- Behaviour of every current customer as of the last day with data: recency, frequency and
-- value over 30/90/365 days and the whole history, the 30-day trend against the 60 days
-- before, RFM scores and the behavioural segment. Customers without any activity are here
-- with zeros (and segment 'Inactive').
{%- set windows = [30, 90, 365] %}
{#- measures summed over each window: (column of int_activity__customer_day, output name) #}
{%- set measures = [
    ('total_value', 'value'), ('card_spend', 'card_spend'), ('order_value', 'order_value'),
    ('approved_transactions', 'transactions'),
    ('declined_transactions', 'declined_transactions'), ('orders', 'orders'),
    ('case when is_active_day then 1 else 0 end', 'active_days')] %}
{#- the same measures of int_activity__customer_month -#}
{%- set month_measures = [
    ('total_value', 'value'), ('card_spend', 'card_spend'), ('order_value', 'order_value'),
    ('approved_transactions', 'transactions'),
    ('declined_transactions', 'declined_transactions'), ('orders', 'orders'),
    ('active_days', 'active_days')] %}

with as_of as (
    select
        as_of_date,
        cast({{ dbt.date_trunc('month', 'as_of_date') }} as date) as as_of_month,
        {{ dbt.dateadd('day', -(windows | max) + 1, 'as_of_date') }} as window_start
    from {{ ref('int_activity__as_of_date') }}
),

customers as (
    select scv_customer_id, customer_since
    from {{ ref('dim_customer') }}
    where is_current
),

-- the whole history: whole months before the as-of month from int_activity__customer_month,
-- the as-of month's days (up to as_of_date) from int_activity__customer_day
lifetime_parts as (
    select
        months.scv_customer_id,
        months.first_active_day,
        months.last_active_day,
        months.total_value,
        months.card_spend,
        months.order_value,
        months.approved_transactions,
        months.orders
    from {{ ref('int_activity__customer_month') }} as months
    cross join as_of
    where months.month_start_date < as_of.as_of_month
    union all
    select
        activity.scv_customer_id,
        case when activity.is_active_day then activity.activity_date end,
        case when activity.is_active_day then activity.activity_date end,
        activity.total_value,
        activity.card_spend,
        activity.order_value,
        activity.approved_transactions,
        activity.orders
    from {{ ref('int_activity__customer_day') }} as activity
    cross join as_of
    where activity.activity_date >= as_of.as_of_month
        and activity.activity_date <= as_of.as_of_date
),

lifetime as (
    select
        scv_customer_id,
        min(first_active_day) as first_activity_date,
        max(last_active_day) as last_activity_date,
        sum(total_value) as lifetime_value,
        sum(card_spend) as lifetime_card_spend,
        sum(order_value) as lifetime_order_value,
        sum(approved_transactions) as lifetime_transactions,
        sum(orders) as lifetime_orders
    from lifetime_parts
    group by scv_customer_id
),

-- the last 365 days in three periods: the last 30 days (0), the 60 before (1: also the
-- trend's prior 60 days), the rest of the year (2); each window sums its periods. A month
-- that holds no period boundary, nor the year's first day, lies in one period: its totals
-- come from int_activity__customer_month; only the (at most four) months around the
-- boundaries and the as-of month are summed from int_activity__customer_day.
boundary_months as (
    {%- for offset in [0] + windows %}
    select cast({{ dbt.date_trunc('month', dbt.dateadd('day', 1 - offset, 'as_of_date') if offset else 'as_of_date') }} as date)
        as month_start
    from as_of
    {{- "\n    union" if not loop.last }}
    {%- endfor %}
),

boundary_days as (
    select
        activity.scv_customer_id,
        {{ behaviour_period('activity.activity_date', 'as_of.as_of_date', windows) }} as period,
        {%- for column, name in measures %}
        {{ column }} as {{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ ref('int_activity__customer_day') }} as activity
    cross join as_of
    where activity.activity_date >= as_of.window_start
        and activity.activity_date <= as_of.as_of_date
        and cast({{ dbt.date_trunc('month', 'activity.activity_date') }} as date)
            in (select month_start from boundary_months)
),

inner_months as (
    select
        months.scv_customer_id,
        {{ behaviour_period('months.month_start_date', 'as_of.as_of_date', windows) }} as period,
        {%- for column, name in month_measures %}
        {{ column }} as {{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ ref('int_activity__customer_month') }} as months
    cross join as_of
    where months.month_start_date > as_of.window_start
        and months.month_start_date < as_of.as_of_month
        and months.month_start_date not in (select month_start from boundary_months)
),

periods as (
    select
        scv_customer_id,
        period,
        {%- for column, name in measures %}
        sum({{ name }}) as {{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from (
        select * from boundary_days
        union all
        select * from inner_months
    ) as parts
    group by scv_customer_id, period
),

windows as (
    select
        scv_customer_id,
        {%- for days in windows %}
        {%- set last_period = loop.index0 %}
        {%- for column, name in measures %}
        sum(case when period <= {{ last_period }} then {{ name }} else 0 end) as {{ name }}_{{ days }}d,
        {%- endfor %}
        {%- endfor %}
        sum(case when period = 1 then value else 0 end) as value_prior_60d
    from periods
    group by scv_customer_id
),

totals as (
    select
        lifetime.*,
        {%- for days in windows %}
        {%- for column, name in measures %}
        windows.{{ name }}_{{ days }}d,
        {%- endfor %}
        {%- endfor %}
        windows.value_prior_60d
    from lifetime
    left join windows on windows.scv_customer_id = lifetime.scv_customer_id
),

joined as (
    select
        customers.scv_customer_id,
        as_of.as_of_date,
        customers.customer_since,
        totals.first_activity_date,
        totals.last_activity_date,
        {{ dbt.datediff('totals.last_activity_date', 'as_of.as_of_date', 'day') }} as recency_days,
        coalesce(totals.lifetime_value, 0) as lifetime_value,
        coalesce(totals.lifetime_card_spend, 0) as lifetime_card_spend,
        coalesce(totals.lifetime_order_value, 0) as lifetime_order_value,
        coalesce(totals.lifetime_transactions, 0) as lifetime_transactions,
        coalesce(totals.lifetime_orders, 0) as lifetime_orders,
        {%- for days in windows %}
        coalesce(totals.value_{{ days }}d, 0) as value_{{ days }}d,
        coalesce(totals.card_spend_{{ days }}d, 0) as card_spend_{{ days }}d,
        coalesce(totals.order_value_{{ days }}d, 0) as order_value_{{ days }}d,
        coalesce(totals.transactions_{{ days }}d, 0) as transactions_{{ days }}d,
        coalesce(totals.declined_transactions_{{ days }}d, 0) as declined_transactions_{{ days }}d,
        coalesce(totals.orders_{{ days }}d, 0) as orders_{{ days }}d,
        coalesce(totals.active_days_{{ days }}d, 0) as active_days_{{ days }}d,
        {%- endfor %}
        coalesce(totals.value_prior_60d, 0) as value_prior_60d
    from customers
    cross join as_of
    left join totals on totals.scv_customer_id = customers.scv_customer_id
),

scored as (
    select
        joined.*,
        joined.transactions_365d + joined.orders_365d as frequency_365d,
        case when joined.last_activity_date is not null then
            ntile(5) over (
                partition by joined.last_activity_date is not null
                order by joined.recency_days desc, joined.scv_customer_id)
        else 0 end as recency_score,
        case when joined.last_activity_date is not null then
            ntile(5) over (
                partition by joined.last_activity_date is not null
                order by joined.transactions_365d + joined.orders_365d, joined.scv_customer_id)
        else 0 end as frequency_score,
        case when joined.last_activity_date is not null then
            ntile(5) over (
                partition by joined.last_activity_date is not null
                order by joined.value_365d, joined.scv_customer_id)
        else 0 end as monetary_score,
        case when joined.value_90d > 0 then
            ntile(5) over (
                partition by joined.value_90d > 0
                order by joined.value_90d, joined.scv_customer_id)
        else 0 end as value_90d_quintile
    from joined
)

select
    scored.*,
    case
        when value_prior_60d > 0
            then (value_30d - value_prior_60d / 2) / (value_prior_60d / 2)
    end as spend_trend_30d_vs_prior_60d,
    {{ behaviour_segment(
        'last_activity_date', 'recency_days',
        dbt.datediff('first_activity_date', 'as_of_date', 'day'),
        'value_30d', 'value_prior_60d', 'value_90d_quintile') }} as behaviour_segment
from scored
