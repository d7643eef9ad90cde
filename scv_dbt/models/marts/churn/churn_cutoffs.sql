{%- set horizon = churn_horizon_days() %}
{%- set training_cutoffs = churn_training_cutoffs() %}
{%- set spacing = churn_cutoff_spacing_days() %}
{%- set step = [churn_retrain_days(), 1] | max %}
-- The days the churn model looks from. The scoring cutoff is the last day with data (the
-- day every current customer is scored as of). The latest training cutoff is the last day
-- minus the horizon ({{ horizon }} days), so that the horizon after it is fully observed,
-- moved back to the latest day that is a whole number of retraining periods ({{ step }} days,
-- SCV_CHURN_RETRAIN_DAYS) after 2000-01-03: the training cutoffs move every {{ step }} days,
-- together with the model's retraining, and stay put in between (churn_features keeps their
-- rows, the model is kept). Up to {{ training_cutoffs - 1 }} earlier ones follow {{ spacing }} days
-- apart; a training cutoff before the first day with data is left out. The model trains on
-- the earlier training cutoffs and validates on the latest (cutoff_index 0), a time-aware
-- split.

with first_days as (
    select min(first_day) as first_day
    from (
        select min(partition_date) as first_day from {{ ref('fct_transactions') }}
        union all
        select min(partition_date) as first_day from {{ ref('fct_orders') }}
    ) as days
),

data_days as (
    select first_days.first_day, as_of.as_of_date as last_day
    from first_days
    cross join {{ ref('int_activity__as_of_date') }} as as_of
),

offsets as (
    select day_offset as cutoff_index
    from ({{ day_sequence(6) }}) as numbers
    where day_offset < {{ training_cutoffs }}
),

horizon_start as (
    select
        first_day,
        last_day,
        cast({{ dbt.dateadd('day', -horizon, 'last_day') }} as date) as latest_observed_cutoff
    from data_days
    where last_day is not null
),

anchored as (
    select
        first_day,
        last_day,
        cast({{ dbt.dateadd(
            'day',
            '-mod(' ~ dbt.datediff("cast('2000-01-03' as date)", 'latest_observed_cutoff', 'day')
                ~ ', ' ~ step ~ ')',
            'latest_observed_cutoff') }} as date) as latest_cutoff
    from horizon_start
),

training as (
    select
        cast({{ dbt.dateadd(
            'day', '-(offsets.cutoff_index * ' ~ spacing ~ ')', 'anchored.latest_cutoff')
        }} as date) as cutoff_date,
        'training' as cutoff_role,
        offsets.cutoff_index,
        anchored.first_day,
        anchored.last_day
    from anchored
    cross join offsets
)

select
    cutoff_date,
    cutoff_role,
    cutoff_index,
    cast({{ dbt.dateadd('day', horizon, 'cutoff_date') }} as date) as label_window_end,
    {{ horizon }} as horizon_days
from training
where cutoff_date >= first_day

union all

select
    last_day as cutoff_date,
    'scoring' as cutoff_role,
    -1 as cutoff_index,
    cast(null as date) as label_window_end,
    {{ horizon }} as horizon_days
from data_days
where last_day is not null
