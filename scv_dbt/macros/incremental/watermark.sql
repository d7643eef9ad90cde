{#-
  When a row of an incremental model was built: the dbt invocation's start, the same for
  every model of one `dbt build`. A downstream incremental model keeps the latest one it has
  read (its watermark) and, on its next build, redoes what changed after it.
-#}
{% macro built_at() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{#-
  The latest `column` value of this incremental model as a SQL timestamp, or none when the
  whole model must be built: a first or full-refresh build, an empty table, or a table from
  before the column or another column its YAML documents existed (rows kept from then would
  lack it: on_schema_change only adds the column, empty). Read when the model compiles,
  before its pre-hooks run.
-#}
{% macro incremental_watermark(column='_built_at') -%}
    {%- if not execute or not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set names = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
    {%- set documented = model.columns.keys() | map('lower') | list -%}
    {%- for name in [column | lower] + documented if name not in names -%}
        {{ return(none) }}
    {%- endfor -%}
    {%- set latest = run_query('select max(' ~ column ~ ') from ' ~ this).columns[0].values()[0] -%}
    {%- if latest is none -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return("cast('" ~ (latest | string) ~ "' as " ~ dbt.type_timestamp() ~ ")") }}
{%- endmacro %}

{#- True when `query` returns at least one row (false while dbt only parses). -#}
{% macro has_rows(query) -%}
    {%- if not execute -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set found = run_query('select count(*) from (' ~ query ~ ') as found_rows') -%}
    {{ return(found.columns[0].values()[0] > 0) }}
{%- endmacro %}
