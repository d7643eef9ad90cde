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
        or cutoff_date >= (
            select min(activity_date)
            from {{ ref('int_activity__customer_day') }}
            where _built_at > {{ since }}
        )
    {%- endif -%}
{%- endmacro %}
