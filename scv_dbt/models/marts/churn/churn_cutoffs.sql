{%- set horizon = churn_horizon_days() %}
{%- set training_cutoffs = churn_training_cutoffs() %}
{%- set spacing = churn_cutoff_spacing_days() %}
-- The days the churn model looks from. The scoring cutoff is the last day with data (the
-- day every current customer is scored as of). Training cutoffs are the last day minus the
-- horizon ({{ horizon }} days), so that the horizon after each is fully observed, and up to
-- {{ training_cutoffs - 1 }} earlier ones {{ spacing }} days apart; a training cutoff before the
-- first day with data is left out. The model trains on the earlier training cutoffs and
-- validates on the latest (cutoff_index 0), a time-aware split.

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

training as (
    select
        cast({{ dbt.dateadd(
            'day', '-(' ~ horizon ~ ' + offsets.cutoff_index * ' ~ spacing ~ ')',
            'data_days.last_day') }} as date) as cutoff_date,
        'training' as cutoff_role,
        offsets.cutoff_index,
        data_days.first_day,
        data_days.last_day
    from data_days
    cross join offsets
    where data_days.last_day is not null
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
