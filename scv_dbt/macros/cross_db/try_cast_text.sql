{#-
  A text cast to `type`, or NULL when the text is not a valid value of that type.
  dbt.safe_cast is a plain CAST on DuckDB (it fails on bad input); DuckDB has TRY_CAST.
  On Snowflake dbt.safe_cast is TRY_CAST, which only takes text input.
-#}
{% macro try_cast_text(expr, type) -%}
    {{ return(adapter.dispatch('try_cast_text', 'scv_dbt')(expr, type)) }}
{%- endmacro %}

{% macro default__try_cast_text(expr, type) -%}
    {{ dbt.safe_cast(expr, type) }}
{%- endmacro %}

{% macro duckdb__try_cast_text(expr, type) -%}
    try_cast({{ expr }} as {{ type }})
{%- endmacro %}
