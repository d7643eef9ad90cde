{#-
  The behavioural segment of a customer as of a day, from their activity up to that day:
    Inactive    no active day at all
    Dormant     no active day in the last 90 days
    New         first active day less than 90 days ago
    Declining   value of the last 30 days below half the monthly average of the 60 days before
    High Value  top quintile of 90-day value among customers with any
    Steady      everyone else
  Used for today's segment (int_activity__customer_behaviour) and for the segment as of each
  churn cutoff (churn_features), so both follow one rule.
-#}
{% macro behaviour_segment(
    last_activity_date, recency_days, days_since_first_activity, value_30d, value_prior_60d,
    value_90d_quintile
) -%}
    case
        when {{ last_activity_date }} is null then 'Inactive'
        when {{ recency_days }} >= 90 then 'Dormant'
        when {{ days_since_first_activity }} < 90 then 'New'
        when {{ value_prior_60d }} > 0 and {{ value_30d }} < 0.5 * {{ value_prior_60d }} / 2
            then 'Declining'
        when {{ value_90d_quintile }} = 5 then 'High Value'
        else 'Steady'
    end
{%- endmacro %}
