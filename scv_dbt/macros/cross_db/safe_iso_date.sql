{#-
  A 'YYYY-MM-DD' text as a DATE, or NULL when it is not a real calendar day
  (e.g. '2024-02-30'). Snowflake's TRY_TO_DATE with an explicit format never guesses;
  DuckDB's TRY_CAST to DATE is strict ISO.
-#}
{% macro safe_iso_date(expr) -%}
    {{ return(adapter.dispatch('safe_iso_date', 'scv_dbt')(expr)) }}
{%- endmacro %}

{% macro default__safe_iso_date(expr) -%}
    {{ try_cast_text(expr, 'date') }}
{%- endmacro %}

{% macro snowflake__safe_iso_date(expr) -%}
    try_to_date({{ expr }}, 'YYYY-MM-DD')
{%- endmacro %}
