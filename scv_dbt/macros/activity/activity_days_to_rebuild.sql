{#-
  The activity days an incremental model built from the facts builds again, as a SQL
  condition on `column`: the days of fact rows built after the model's watermark (new days,
  re-run days and rows re-resolved to another customer), the partition days of those rows,
  and the days of fact rows a data-quality check held or released since. `true` (every day)
  when the whole model is built, `false` when nothing changed. The days are looked up as the
  model compiles and written into its SQL as dates, so a date-ordered table skips every
  block outside them (a condition on a subquery or on an expression of the column would
  read the whole table).
-#}
{% macro activity_days_to_rebuild(column) -%}
    {%- set days = changed_activity_days() -%}
    {%- if days is none -%}
        true
    {%- elif not days -%}
        false
    {%- else -%}
        {{ column }} in ({% for day in days %}{{ date_literal(day) }}{{ ', ' if not loop.last }}{% endfor %})
    {%- endif -%}
{%- endmacro %}

{#-
  The same for a model by month, as a condition on `column`, a month start date: the months
  of those days (whole months rebuilt). With `and_later`, also every month after the
  earliest of them (for a model whose rows carry the month before, or a calendar of months
  from a customer's first one).
-#}
{% macro activity_months_to_rebuild(column, and_later=false) -%}
    {%- set months = changed_activity_months() -%}
    {%- if months is none -%}
        true
    {%- elif not months -%}
        false
    {%- elif and_later -%}
        {{ column }} >= {{ date_literal(months[0]) }}
    {%- else -%}
        {{ column }} in ({% for month in months %}{{ date_literal(month) }}{{ ', ' if not loop.last }}{% endfor %})
    {%- endif -%}
{%- endmacro %}

{#-
  The days of those months, as a condition on `column`, a day (ranges of whole months), for
  a model by month that reads daily rows.
-#}
{% macro activity_days_of_months_to_rebuild(column) -%}
    {%- set months = changed_activity_months() -%}
    {%- if months is none -%}
        true
    {%- elif not months -%}
        false
    {%- else -%}
        ({% for month in months -%}
        ({{ column }} >= {{ date_literal(month) }} and {{ column }} < {{ date_literal(next_month(month)) }})
        {{- ' or ' if not loop.last }}
        {%- endfor %})
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
  The changed days (sorted 'YYYY-MM-DD' strings; none when the whole model is built). The
  facts and the holds are referenced first, so that a model using it depends on them; the
  days are queried when the model compiles (an empty list while dbt only parses).
-#}
{% macro changed_activity_days() -%}
    {%- set facts = {'fct_transactions': ref('fct_transactions'), 'fct_orders': ref('fct_orders')} -%}
    {%- set holds = source('quality', 'quarantine') -%}
    {%- set since = incremental_watermark() -%}
    {%- if since is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if not execute -%}
        {{ return([]) }}
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
    {%- set found = run_query('select distinct changed_day from (' ~ days ~ ') as changed_days'
        ~ ' where changed_day is not null') -%}
    {%- set changed = [] -%}
    {%- for day in found.columns[0].values() -%}
        {%- do changed.append((day | string)[:10]) -%}
    {%- endfor -%}
    {{ return(changed | sort) }}
{%- endmacro %}

{#- The first days of the months of the changed days (none: the whole model). -#}
{% macro changed_activity_months() -%}
    {%- set days = changed_activity_days() -%}
    {%- if days is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set months = [] -%}
    {%- for day in days if day[:7] ~ '-01' not in months -%}
        {%- do months.append(day[:7] ~ '-01') -%}
    {%- endfor -%}
    {{ return(months | sort) }}
{%- endmacro %}
