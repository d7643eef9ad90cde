{#-
  The text captured by group `group` of the first match of `pattern` in `expr`; NULL when
  nothing matches or the group captured nothing. Anchor the pattern (^...$) yourself.
  DuckDB returns '' for "no match", Snowflake NULL: both become NULL.
-#}
{% macro regexp_extract_group(expr, pattern, group=1) -%}
    {{ return(adapter.dispatch('regexp_extract_group', 'scv_dbt')(expr, pattern, group)) }}
{%- endmacro %}

{% macro default__regexp_extract_group(expr, pattern, group=1) -%}
    nullif(regexp_substr({{ expr }}, {{ sql_literal(pattern) }}, 1, 1, 'e', {{ group }}), '')
{%- endmacro %}

{% macro duckdb__regexp_extract_group(expr, pattern, group=1) -%}
    nullif(regexp_extract({{ expr }}, {{ sql_literal(pattern) }}, {{ group }}), '')
{%- endmacro %}
