{#-
  The run's partition window as a SQL condition on a date column: min_date <= column <
  max_date (vars, end exclusive, YYYY-MM-DD). The vars come from the Dagster partition of the
  run; they are validated here again before they reach SQL.
-#}
{% macro partition_window(column) -%}
    {{ column }} >= {{ checked_date_var('min_date') }}
    and {{ column }} < {{ checked_date_var('max_date') }}
{%- endmacro %}

{% macro checked_date_var(name) -%}
    {%- set value = var(name) | string -%}
    {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', value) -%}
        {{ exceptions.raise_compiler_error(
            "var " ~ name ~ " must be a date YYYY-MM-DD, got " ~ (value | tojson)) }}
    {%- endif -%}
    cast('{{ value }}' as date)
{%- endmacro %}

{#-
  Pre-hook of an incremental model: delete the rows it is about to build again, those where
  `condition` (a SQL condition) holds; nothing on a first or full-refresh build (the table is
  built whole). The facts delete their partition window, so a re-run of a day replaces the
  day (rows that left a re-delivered file disappear too), while delete+insert on the unique
  key removes a row that moved to another day.
-#}
{% macro delete_rows_to_rebuild(condition) -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ condition }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{#-
  The staged rows an incremental fact builds: those of the run's partition window and, on
  an incremental run, those of other days whose resolution changed since they were built
  (`re_resolved`: a query of their `key` values), which delete+insert on the key replaces.
-#}
{% macro window_and_re_resolved_rows(staging, key, re_resolved) -%}
    select *
    from {{ staging }}
    where {{ partition_window('_file_date') }}
    {%- if is_incremental() and has_rows(re_resolved) %}
    union all
    select *
    from {{ staging }}
    where {{ key }} in ({{ re_resolved }})
    {%- endif %}
{%- endmacro %}

{#-
  A test filter with the run's partition window filled in: the placeholders __min_date__
  and __max_date__ become the (validated) vars min_date and max_date. dbt renders a test's
  YAML `where` when it parses the project; written with placeholders, the parse does not
  depend on --vars (one parse serves every day partition) and the window is the run's own.
-#}
{% macro with_partition_window(condition) -%}
    {{- condition
        | replace('__min_date__', checked_date_var('min_date'))
        | replace('__max_date__', checked_date_var('max_date')) -}}
{%- endmacro %}

{#- dbt's test filter (the `where` config), with the partition window filled in. -#}
{% macro default__get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- do return('(select * from ' ~ relation ~ ' where '
            ~ with_partition_window(where) ~ ') dbt_subquery') -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}
