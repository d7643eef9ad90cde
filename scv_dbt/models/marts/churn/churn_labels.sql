{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook=["{{ delete_rows_to_rebuild(churn_labels_to_rebuild()) }}"]
) }}
-- The churn label of every training row of churn_features (contracts.md): a customer has
-- churned at a cutoff when no shop order (of any status) and no approved card transaction
-- falls in the horizon after it, cutoff_date < day <= label_window_end (the cutoff plus
-- SCV_CHURN_HORIZON_DAYS). Training cutoffs are chosen so that every label window is fully
-- observed (churn_cutoffs). Incremental by cutoff: a build computes the cutoffs whose rows
-- are missing (churn_labels_to_rebuild: its pre-hook drops those whose features were
-- rebuilt, that moved, or whose label window reaches a rebuilt activity day).

with training as (
    select
        features.cutoff_date,
        features.scv_customer_id,
        cutoffs.label_window_end
    from {{ ref('churn_features') }} as features
    inner join {{ ref('churn_cutoffs') }} as cutoffs
        on cutoffs.cutoff_date = features.cutoff_date
        and cutoffs.cutoff_role = features.cutoff_role
    where features.cutoff_role = 'training'
    {%- if is_incremental() %}
        and features.cutoff_date not in (select cutoff_date from {{ this }})
    {%- endif %}
),

horizon_activity as (
    select
        cutoffs.cutoff_date,
        activity.scv_customer_id,
        sum(activity.approved_transactions) as approved_transactions,
        sum(activity.orders_placed) as orders
    from {{ ref('int_activity__customer_day') }} as activity
    inner join {{ ref('churn_cutoffs') }} as cutoffs
        on activity.activity_date > cutoffs.cutoff_date
        and activity.activity_date <= cutoffs.label_window_end
    where cutoffs.cutoff_role = 'training'
        and cutoffs.cutoff_date in (select cutoff_date from training)
    group by cutoffs.cutoff_date, activity.scv_customer_id
)

select
    training.cutoff_date,
    training.scv_customer_id,
    training.label_window_end,
    coalesce(horizon_activity.approved_transactions, 0) as horizon_approved_transactions,
    coalesce(horizon_activity.orders, 0) as horizon_orders,
    case
        when coalesce(horizon_activity.approved_transactions, 0)
            + coalesce(horizon_activity.orders, 0) = 0 then 1
        else 0
    end as churned,
    {{ built_at() }} as _built_at
from training
left join horizon_activity
    on horizon_activity.cutoff_date = training.cutoff_date
    and horizon_activity.scv_customer_id = training.scv_customer_id
