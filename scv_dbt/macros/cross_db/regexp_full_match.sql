{#-
  True when the WHOLE of `expr` matches `pattern` (a Jinja string); NULL for NULL input.
  Snowflake's REGEXP_LIKE is implicitly anchored; DuckDB has regexp_full_match.
-#}
{% macro regexp_full_match(expr, pattern) -%}
    {{ return(adapter.dispatch('regexp_full_match', 'scv_dbt')(expr, pattern)) }}
{%- endmacro %}

{% macro default__regexp_full_match(expr, pattern) -%}
    regexp_like({{ expr }}, {{ sql_literal(pattern) }})
{%- endmacro %}

{% macro duckdb__regexp_full_match(expr, pattern) -%}
    regexp_full_match({{ expr }}, {{ sql_literal(pattern) }})
{%- endmacro %}
