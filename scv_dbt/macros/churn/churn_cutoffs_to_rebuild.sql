{#-
  The cutoffs churn_features builds again, as a SQL condition on its rows (its pre-hook
  deletes them, and the model's insert computes exactly the cutoffs left missing): the
  scoring cutoff (it is today's), cutoffs churn_cutoffs no longer lists (they moved on), and
  cutoffs on or after the first activity day int_activity__customer_day rebuilt since the
  watermark (a late, re-run or re-resolved day changes every cutoff that looks back over
  it). A training cutoff whose history is unchanged keeps its rows until it moves. `true`
  (every cutoff) when the whole model is built.
-#}
{% macro churn_cutoffs_to_rebuild() -%}
    {%- set since = incremental_watermark() -%}
    {%- if since is none -%}
        true
    {%- else -%}
        cutoff_role = 'scoring'
        or cutoff_date not in (select cutoff_date from {{ ref('churn_cutoffs') }})
        or cutoff_date >= {{ first_activity_day_rebuilt_since(since) }}
    {%- endif -%}
{%- endmacro %}

{#-
  The cutoffs churn_labels builds again, as a SQL condition on its rows: those whose
  churn_features rows were built since the watermark, cutoffs churn_cutoffs no longer lists
  (or no longer lists as training cutoffs), and those whose label window reaches the first
  activity day int_activity__customer_day rebuilt since (a late, re-run or re-resolved day
  may change the label). `true` (every cutoff) when the whole model is built.
-#}
{% macro churn_labels_to_rebuild() -%}
    {%- set since = incremental_watermark() -%}
    {%- if since is none -%}
        true
    {%- else -%}
        cutoff_date in (
            select cutoff_date from {{ ref('churn_features') }} where _built_at > {{ since }}
        )
        or cutoff_date not in (
            select cutoff_date from {{ ref('churn_cutoffs') }} where cutoff_role = 'training'
        )
        or label_window_end >= {{ first_activity_day_rebuilt_since(since) }}
    {%- endif -%}
{%- endmacro %}

{#- The first activity day int_activity__customer_day rebuilt after `since`, as a subquery. -#}
{% macro first_activity_day_rebuilt_since(since) -%}
    (select min(activity_date) from {{ ref('int_activity__customer_day') }} where _built_at > {{ since }})
{%- endmacro %}
