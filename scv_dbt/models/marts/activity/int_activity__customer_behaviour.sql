-- Behaviour of every current customer as of the last day with data: recency, frequency and
-- value over 30/90/365 days and the whole history, the 30-day trend against the 60 days
-- before, RFM scores and the behavioural segment. Customers without any activity are here
-- with zeros (and segment 'Inactive').
{%- set windows = [30, 90, 365] %}

with as_of as (
    select as_of_date from {{ ref('int_activity__as_of_date') }}
),

customers as (
    select scv_customer_id, customer_since
    from {{ ref('dim_customer') }}
    where is_current
),

days as (
    select activity.*, as_of.as_of_date,
        {{ dbt.datediff('activity.activity_date', 'as_of.as_of_date', 'day') }} as days_ago
    from {{ ref('int_activity__customer_day') }} as activity
    cross join as_of
    where activity.activity_date <= as_of.as_of_date
),

totals as (
    select
        scv_customer_id,
        min(case when is_active_day then activity_date end) as first_activity_date,
        max(case when is_active_day then activity_date end) as last_activity_date,
        sum(total_value) as lifetime_value,
        sum(card_spend) as lifetime_card_spend,
        sum(order_value) as lifetime_order_value,
        sum(approved_transactions) as lifetime_transactions,
        sum(orders) as lifetime_orders,
        {%- for days in windows %}
        sum(case when days_ago < {{ days }} then total_value else 0 end) as value_{{ days }}d,
        sum(case when days_ago < {{ days }} then card_spend else 0 end) as card_spend_{{ days }}d,
        sum(case when days_ago < {{ days }} then order_value else 0 end) as order_value_{{ days }}d,
        sum(case when days_ago < {{ days }} then approved_transactions else 0 end)
            as transactions_{{ days }}d,
        sum(case when days_ago < {{ days }} then declined_transactions else 0 end)
            as declined_transactions_{{ days }}d,
        sum(case when days_ago < {{ days }} then orders else 0 end) as orders_{{ days }}d,
        sum(case when days_ago < {{ days }} and is_active_day then 1 else 0 end)
            as active_days_{{ days }}d,
        {%- endfor %}
        sum(case when days_ago between 30 and 89 then total_value else 0 end)
            as value_prior_60d
    from days
    group by scv_customer_id
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
