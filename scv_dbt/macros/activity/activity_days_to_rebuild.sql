{#-
  The activity days an incremental model built from the facts builds again, as a SQL
  condition on `column`: the days of fact rows built after the model's watermark (new days,
  re-run days and rows re-resolved to another customer), the partition days of those rows,
  and the days of fact rows a data-quality check held or released since. `true` (every day)
  when the whole model is built.
-#}
{% macro activity_days_to_rebuild(column) -%}
    {%- set days = changed_activity_days() -%}
    {%- if days is none -%}
        true
    {%- else -%}
        {{ column }} in ({{ days }})
    {%- endif -%}
{%- endmacro %}

{#-
  The same for a model by month: `column` is a month start date (whole months rebuilt).
  With `and_later`, also every month after the earliest changed one (for a model whose rows
  carry the month before, or a calendar of months from a customer's first one).
-#}
{% macro activity_months_to_rebuild(column, and_later=false) -%}
    {%- set days = changed_activity_days() -%}
    {%- set month = 'cast(' ~ dbt.date_trunc('month', 'changed_day') ~ ' as date)' -%}
    {%- if days is none -%}
        true
    {%- elif and_later -%}
        {{ column }} >= (select min({{ month }}) from ({{ days }}) as changed_days)
    {%- else -%}
        {{ column }} in (select distinct {{ month }} from ({{ days }}) as changed_days)
    {%- endif -%}
{%- endmacro %}

{#-
  The configuration of a model incremental by activity month (built from the facts and
  holds): rows carry `_built_at`, a build deletes then appends the months to rebuild.
-#}
{% macro incremental_by_activity_month(month_column='month_start_date', and_later=false) -%}
    {{- config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        pre_hook=["{{ delete_rows_to_rebuild(activity_months_to_rebuild('" ~ month_column
            ~ "', " ~ and_later ~ ")) }}"]
    ) -}}
{%- endmacro %}

{#-
  A query of those days (column `changed_day`), or none when the whole model is built. The
  facts and the holds are referenced first, so that a model using it depends on them.
-#}
{% macro changed_activity_days() -%}
    {%- set facts = {'fct_transactions': ref('fct_transactions'), 'fct_orders': ref('fct_orders')} -%}
    {%- set holds = source('quality', 'quarantine') -%}
    {%- set since = incremental_watermark() -%}
    {%- if since is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set days -%}
            {%- for fact, day in [('fct_transactions', 'transaction_date'), ('fct_orders', 'order_date')] %}
            select {{ day }} as changed_day from {{ facts[fact] }} where _built_at > {{ since }}
            union
            select partition_date from {{ facts[fact] }} where _built_at > {{ since }}
            union
            select facts.{{ day }}
            from {{ holds }} as holds
            inner join {{ facts[fact] }} as facts
                on facts._source_file = holds.source_file
                and facts._source_row = holds.source_row
            where holds.source = '{{ fact }}'
                and holds.holds_row
                and (holds.quarantined_at > {{ since }} or holds.released_at > {{ since }})
            {{- "\n            union" if not loop.last }}
            {%- endfor %}
    {%- endset -%}
    {{ return(days) }}
{%- endmacro %}
