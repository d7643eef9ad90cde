-- One row per current customer: the golden record, card accounts, lifetime and 90-day
-- activity, RFM scores, the behavioural segment and the churn score, as of the last day with
-- data.

with customers as (
    select *
    from {{ ref('dim_customer') }}
    where is_current
),

cards as (
    select
        scv_customer_id,
        count(*) as card_accounts,
        sum(case when is_active then 1 else 0 end) as active_card_accounts,
        {{ dbt.listagg('card_type', "', '", 'order by card_type') }} as card_types,
        sum(credit_limit) as total_credit_limit,
        min(opened_on) as first_card_opened_on
    from {{ ref('dim_card_account') }}
    where scv_customer_id is not null
    group by scv_customer_id
),

behaviour as (
    select * from {{ ref('int_activity__customer_behaviour') }}
),

churn as (
    select * from {{ ref('int_churn__predictions') }}
)

select
    customers.scv_customer_id,
    customers.customer_sk,
    customers.full_name,
    customers.first_name,
    customers.last_name,
    customers.email,
    customers.phone,
    customers.address_line1,
    customers.city,
    customers.state_code,
    customers.postal_code,
    customers.birth_date,
    case
        when customers.birth_date is null then null
        else cast(floor({{ dbt.datediff('customers.birth_date', 'behaviour.as_of_date', 'day') }}
            / 365.25) as integer)
    end as age_years,
    customers.employment_status,
    customers.customer_since,
    {{ dbt.datediff('customers.customer_since', 'behaviour.as_of_date', 'day') }} as tenure_days,
    customers.is_active,
    customers.source_systems,
    coalesce(cards.card_accounts, 0) as card_accounts,
    coalesce(cards.active_card_accounts, 0) as active_card_accounts,
    cards.card_types,
    cards.total_credit_limit,
    cards.first_card_opened_on,
    behaviour.as_of_date,
    behaviour.first_activity_date,
    behaviour.last_activity_date,
    behaviour.recency_days,
    behaviour.lifetime_value,
    behaviour.lifetime_card_spend,
    behaviour.lifetime_order_value,
    behaviour.lifetime_transactions,
    behaviour.lifetime_orders,
    behaviour.value_90d,
    behaviour.card_spend_90d,
    behaviour.order_value_90d,
    behaviour.transactions_90d,
    behaviour.declined_transactions_90d,
    behaviour.orders_90d,
    behaviour.active_days_90d,
    behaviour.spend_trend_30d_vs_prior_60d,
    behaviour.recency_score,
    behaviour.frequency_score,
    behaviour.monetary_score,
    cast(behaviour.recency_score as {{ dbt.type_string() }})
        || cast(behaviour.frequency_score as {{ dbt.type_string() }})
        || cast(behaviour.monetary_score as {{ dbt.type_string() }}) as rfm_cell,
    behaviour.behaviour_segment,
    churn.churn_probability,
    churn.risk_band as churn_risk_band,
    churn.model_version as churn_model_version
from customers
inner join behaviour on behaviour.scv_customer_id = customers.scv_customer_id
left join cards on cards.scv_customer_id = customers.scv_customer_id
left join churn on churn.scv_customer_id = customers.scv_customer_id
