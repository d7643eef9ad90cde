{#-
  Pre-hook of churn_features: drop the cutoffs it builds again, so that the model's insert
  computes exactly the cutoffs left missing. Dropped: the scoring cutoff (it is today's),
  cutoffs churn_cutoffs no longer lists (they moved on), and cutoffs on or after the first
  activity day int_activity__customer_day rebuilt since the watermark (a late, re-run or
  re-resolved day changes every cutoff that looks back over it). A training cutoff whose
  history is unchanged keeps its rows until it moves. A full build drops everything.
-#}
{% macro delete_churn_cutoffs_to_rebuild() -%}
    {%- if is_incremental() -%}
        {%- set since = incremental_watermark() -%}
        delete from {{ this }}
        {%- if since is not none %}
        where cutoff_role = 'scoring'
            or cutoff_date not in (select cutoff_date from {{ ref('churn_cutoffs') }})
            or cutoff_date >= (
                select min(activity_date)
                from {{ ref('int_activity__customer_day') }}
                where _built_at > {{ since }}
            )
        {%- endif %}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
