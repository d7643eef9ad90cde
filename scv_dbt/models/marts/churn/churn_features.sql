{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook=["{{ delete_rows_to_rebuild(churn_cutoffs_to_rebuild()) }}"]
) }}
{%- set windows = [30, 60, 90, 180] %}
-- Churn model features: one row per customer and cutoff (churn_cutoffs), computed ONLY from
-- facts whose event day is on or before the cutoff (activity_date, transaction_date,
-- order_date <= cutoff_date), so a training row knows nothing of its label window.
--   population: at the scoring cutoff every current customer; at a training cutoff the
--     current customers known by then (customer since, or any activity, on or before it)
--   recency, frequency (approved card transactions + orders) and value (approved card spend
--     + order value) over 30/60/90/180 days and up to the cutoff; spend trend (30 days
--     against the 90-day monthly average) and the month-over-month slope of value over six
--     30-day months; declined share, channel mix, merchant and product category diversity
--   tenure, card type (of the highest-limit card opened by the cutoff), credit limit and
--     30-day utilisation, age band, and the behavioural segment as of the cutoff
--     (behaviour_segment macro, the rule of int_activity__customer_behaviour)
-- A customer with only shop orders or only card activity gets zeros / NULLs for the other
-- kind, with has_card_account, has_card_activity and has_order_activity saying which.
-- Money sums are 64-bit floats rounded to the cent after each sum, so a re-build gives the
-- same values whatever order the engine adds them in (and the same model version).
-- Card type ('none' without a card) and credit limit are the current values of the card
-- accounts opened by the cutoff (the CRM export keeps no history of them).
-- Incremental by cutoff: a build computes the scoring cutoff and the training cutoffs whose
-- rows are missing (churn_cutoffs_to_rebuild: its pre-hook drops the moved ones and those whose
-- history was rebuilt); the training rows of a cutoff are otherwise kept as first built
-- until the cutoffs move (every SCV_CHURN_RETRAIN_DAYS days, churn_cutoffs), so a change to
-- this SQL reaches them then, or at once with --full-refresh.

with cutoffs as (
    select
        cutoff_date,
        cutoff_role,
        -- daily rows from the first of the month 180 days back; whole months before that
        cast({{ dbt.date_trunc('month', dbt.dateadd('day', -179, 'cutoff_date')) }} as date)
            as daily_from
    from {{ ref('churn_cutoffs') }}
    {%- if is_incremental() %}
    where cutoff_date not in (select cutoff_date from {{ this }})
    {%- endif %}
),

customers as (
    select scv_customer_id, birth_date, cast(customer_since as date) as customer_since
    from {{ ref('dim_customer') }}
    where is_current
),

customer_days as (
    select
        scv_customer_id,
        activity_date,
        is_active_day,
        {%- for column in [
            'card_spend', 'order_value', 'total_value', 'approved_transactions',
            'declined_transactions', 'online_transactions', 'mobile_transactions',
            'in_store_transactions', 'orders', 'orders_placed'] %}
        cast({{ column }} as {{ type_double() }}) as {{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ ref('int_activity__customer_day') }}
),

-- a customer's first day of each kind: on or before a cutoff exactly when it is <= the cutoff
firsts as (
    select
        scv_customer_id,
        min(first_day) as first_seen_date,
        min(first_active_day) as first_activity_date,
        min(first_card_day) as first_card_date,
        min(first_order_day) as first_order_date
    from {{ ref('int_activity__customer_month') }}
    group by scv_customer_id
),

-- whole calendar months, for the part of the history before the daily rows of a cutoff
months as (
    select
        scv_customer_id,
        month_start_date as month_start,
        last_active_day as last_activity_date,
        last_card_day as last_card_date,
        last_order_day as last_order_date,
        approved_transactions + orders as frequency,
        round(cast(total_value as {{ type_double() }}), 2) as total_value
    from {{ ref('int_activity__customer_month') }}
),

older as (
    select
        months.scv_customer_id as older_customer_id,
        cutoffs.cutoff_date as older_cutoff_date,
        max(months.last_activity_date) as older_last_activity_date,
        max(months.last_card_date) as older_last_card_date,
        max(months.last_order_date) as older_last_order_date,
        sum(months.frequency) as older_frequency,
        round(sum(months.total_value), 2) as older_value
    from months
    inner join cutoffs on months.month_start < cutoffs.daily_from
    group by months.scv_customer_id, cutoffs.cutoff_date
),

days as (
    select
        cutoffs.cutoff_date,
        customer_days.*,
        {{ dbt.datediff('customer_days.activity_date', 'cutoffs.cutoff_date', 'day') }}
            as days_ago
    from customer_days
    inner join cutoffs
        on customer_days.activity_date >= cutoffs.daily_from
        and customer_days.activity_date <= cutoffs.cutoff_date
),

recent as (
    select
        scv_customer_id as recent_customer_id,
        cutoff_date as recent_cutoff_date,
        max(case when is_active_day then activity_date end) as recent_last_activity_date,
        max(case when approved_transactions > 0 then activity_date end) as recent_last_card_date,
        max(case when orders > 0 then activity_date end) as recent_last_order_date,
        sum(approved_transactions + orders) as recent_frequency,
        round(sum(total_value), 2) as recent_value,
        {%- for days in windows %}
        sum(case when days_ago < {{ days }} then approved_transactions + orders else 0 end)
            as frequency_{{ days }}d,
        round(sum(case when days_ago < {{ days }} then total_value else 0 end), 2)
            as value_{{ days }}d,
        sum(case when days_ago < {{ days }} and is_active_day then 1 else 0 end)
            as active_days_{{ days }}d,
        {%- endfor %}
        sum(case when days_ago < 90 then approved_transactions else 0 end) as transactions_90d,
        sum(case when days_ago < 90 then declined_transactions else 0 end)
            as declined_transactions_90d,
        sum(case when days_ago < 90 then orders else 0 end) as orders_90d,
        round(sum(case when days_ago < 90 then card_spend else 0 end), 2) as card_spend_90d,
        round(sum(case when days_ago < 90 then order_value else 0 end), 2) as order_value_90d,
        round(sum(case when days_ago < 30 then card_spend else 0 end), 2) as card_spend_30d,
        round(sum(case when days_ago between 30 and 89 then total_value else 0 end), 2)
            as value_prior_60d,
        -- least-squares slope of monthly value over six 30-day months (month 0 = the latest):
        -- sum((x - mean x) * value) / sum((x - mean x)^2) with x = -month, mean -2.5, 17.5
        round(sum(case when days_ago < 180 then (2.5 - floor(days_ago / 30.0)) * total_value
            else 0 end), 3) / 17.5 as value_slope_per_month,
        sum(case when days_ago < 180 then approved_transactions else 0 end)
            as transactions_180d,
        sum(case when days_ago < 180 then online_transactions else 0 end) as online_180d,
        sum(case when days_ago < 180 then mobile_transactions else 0 end) as mobile_180d,
        sum(case when days_ago < 180 then in_store_transactions else 0 end) as in_store_180d
    from days
    group by scv_customer_id, cutoff_date
),

merchant_categories as (
    select
        transactions.scv_customer_id,
        cutoffs.cutoff_date,
        count(distinct transactions.merchant_category) as merchant_categories_90d
    from {{ ref('fct_transactions') }} as transactions
    inner join cutoffs
        on transactions.transaction_date <= cutoffs.cutoff_date
        and transactions.transaction_date > {{ dbt.dateadd('day', -90, 'cutoffs.cutoff_date') }}
    where transactions.scv_customer_id is not null
        and transactions.is_approved
    group by transactions.scv_customer_id, cutoffs.cutoff_date
),

product_categories as (
    select
        orders.scv_customer_id,
        cutoffs.cutoff_date,
        count(distinct products.category) as product_categories_90d
    from {{ ref('fct_orders') }} as orders
    inner join cutoffs
        on orders.order_date <= cutoffs.cutoff_date
        and orders.order_date > {{ dbt.dateadd('day', -90, 'cutoffs.cutoff_date') }}
    inner join {{ ref('dim_product') }} as products
        on products.product_id = orders.product_id
    where orders.scv_customer_id is not null
        and not orders.is_cancelled_or_returned
    group by orders.scv_customer_id, cutoffs.cutoff_date
),

cards_open as (
    select
        cutoffs.cutoff_date,
        cards.scv_customer_id,
        cards.card_type,
        cards.credit_limit,
        row_number() over (
            partition by cutoffs.cutoff_date, cards.scv_customer_id
            order by coalesce(cards.credit_limit, 0) desc, cards.card_account_id
        ) as limit_rank
    from {{ ref('dim_card_account') }} as cards
    inner join cutoffs
        on cards.opened_on is null or cards.opened_on <= cutoffs.cutoff_date
    where cards.scv_customer_id is not null
),

cards as (
    select
        cutoff_date,
        scv_customer_id,
        count(*) as card_accounts,
        sum(credit_limit) as credit_limit,
        max(case when limit_rank = 1 then card_type end) as card_type
    from cards_open
    group by cutoff_date, scv_customer_id
),

population as (
    select
        cutoffs.cutoff_date,
        cutoffs.cutoff_role,
        customers.scv_customer_id,
        customers.birth_date,
        customers.customer_since,
        {%- for kind in ['seen', 'activity', 'card', 'order'] %}
        case when firsts.first_{{ kind }}_date <= cutoffs.cutoff_date
            then firsts.first_{{ kind }}_date end as first_{{ kind }}_date,
        {%- endfor %}
        {%- for kind in ['activity', 'card', 'order'] %}
        coalesce(recent.recent_last_{{ kind }}_date, older.older_last_{{ kind }}_date)
            as last_{{ kind }}_date,
        {%- endfor %}
        coalesce(recent.recent_frequency, 0) + coalesce(older.older_frequency, 0)
            as lifetime_frequency,
        coalesce(recent.recent_value, 0) + coalesce(older.older_value, 0) as lifetime_value,
        recent.*
    from customers
    cross join cutoffs
    left join firsts on firsts.scv_customer_id = customers.scv_customer_id
    left join recent
        on recent.recent_customer_id = customers.scv_customer_id
        and recent.recent_cutoff_date = cutoffs.cutoff_date
    left join older
        on older.older_customer_id = customers.scv_customer_id
        and older.older_cutoff_date = cutoffs.cutoff_date
),

dated as (
    select
        population.*,
        case
            when population.first_seen_date is null then population.customer_since
            when population.customer_since is null then population.first_seen_date
            when population.first_seen_date < population.customer_since
                then population.first_seen_date
            else population.customer_since
        end as known_since
    from population
),

known as (
    select
        dated.*,
        case when dated.value_90d > 0 then
            ntile(5) over (
                partition by dated.cutoff_date, dated.value_90d > 0
                order by dated.value_90d, dated.scv_customer_id)
        else 0 end as value_90d_quintile
    from dated
    where dated.cutoff_role = 'scoring' or dated.known_since <= dated.cutoff_date
)

select
    known.cutoff_date,
    known.cutoff_role,
    known.scv_customer_id,
    {{ dbt.datediff('known.last_activity_date', 'known.cutoff_date', 'day') }} as recency_days,
    {{ dbt.datediff('known.last_card_date', 'known.cutoff_date', 'day') }} as recency_card_days,
    {{ dbt.datediff('known.last_order_date', 'known.cutoff_date', 'day') }} as recency_order_days,
    {{ dbt.datediff('known.known_since', 'known.cutoff_date', 'day') }} as tenure_days,
    known.lifetime_frequency,
    known.lifetime_value,
    {%- for days in windows %}
    coalesce(known.frequency_{{ days }}d, 0) as frequency_{{ days }}d,
    coalesce(known.value_{{ days }}d, 0) as value_{{ days }}d,
    coalesce(known.active_days_{{ days }}d, 0) as active_days_{{ days }}d,
    {%- endfor %}
    coalesce(known.transactions_90d, 0) as transactions_90d,
    coalesce(known.orders_90d, 0) as orders_90d,
    coalesce(known.card_spend_90d, 0) as card_spend_90d,
    coalesce(known.order_value_90d, 0) as order_value_90d,
    case when known.value_90d > 0 then
        cast(known.value_30d as {{ type_double() }}) / (known.value_90d / 3.0) - 1
    end as spend_trend_30d_vs_90d,
    case when known.value_180d > 0 then
        cast(known.value_slope_per_month as {{ type_double() }}) / (known.value_180d / 6.0)
    end as spend_slope_6m,
    cast(known.declined_transactions_90d as {{ type_double() }})
        / nullif(known.transactions_90d + known.declined_transactions_90d, 0)
        as declined_share_90d,
    cast(known.online_180d as {{ type_double() }}) / nullif(known.transactions_180d, 0)
        as online_share_180d,
    cast(known.mobile_180d as {{ type_double() }}) / nullif(known.transactions_180d, 0)
        as mobile_share_180d,
    cast(known.in_store_180d as {{ type_double() }}) / nullif(known.transactions_180d, 0)
        as in_store_share_180d,
    coalesce(merchant_categories.merchant_categories_90d, 0) as merchant_categories_90d,
    coalesce(product_categories.product_categories_90d, 0) as product_categories_90d,
    coalesce(cards.card_accounts, 0) as card_accounts,
    coalesce(cards.card_type, 'none') as card_type,
    cards.credit_limit,
    coalesce(known.card_spend_30d, 0) / nullif(cards.credit_limit, 0)
        as credit_utilisation_30d,
    case
        when known.birth_date is null then 'unknown'
        when {{ dbt.datediff('known.birth_date', 'known.cutoff_date', 'day') }} < 25 * 365.25
            then '18-24'
        when {{ dbt.datediff('known.birth_date', 'known.cutoff_date', 'day') }} < 35 * 365.25
            then '25-34'
        when {{ dbt.datediff('known.birth_date', 'known.cutoff_date', 'day') }} < 45 * 365.25
            then '35-44'
        when {{ dbt.datediff('known.birth_date', 'known.cutoff_date', 'day') }} < 55 * 365.25
            then '45-54'
        when {{ dbt.datediff('known.birth_date', 'known.cutoff_date', 'day') }} < 65 * 365.25
            then '55-64'
        else '65+'
    end as age_band,
    {{ behaviour_segment(
        'known.last_activity_date',
        dbt.datediff('known.last_activity_date', 'known.cutoff_date', 'day'),
        dbt.datediff('known.first_activity_date', 'known.cutoff_date', 'day'),
        'coalesce(known.value_30d, 0)', 'coalesce(known.value_prior_60d, 0)',
        'known.value_90d_quintile') }} as behaviour_segment,
    coalesce(cards.card_accounts, 0) > 0 as has_card_account,
    known.first_card_date is not null as has_card_activity,
    known.first_order_date is not null as has_order_activity,
    {{ built_at() }} as _built_at
from known
left join merchant_categories
    on merchant_categories.scv_customer_id = known.scv_customer_id
    and merchant_categories.cutoff_date = known.cutoff_date
left join product_categories
    on product_categories.scv_customer_id = known.scv_customer_id
    and product_categories.cutoff_date = known.cutoff_date
left join cards
    on cards.scv_customer_id = known.scv_customer_id
    and cards.cutoff_date = known.cutoff_date
