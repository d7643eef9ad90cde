{#-
  Replace EVERY match of `pattern` in `expr` with `replacement` (both Jinja strings).
  Snowflake's REGEXP_REPLACE is global by default; DuckDB needs the 'g' option.
  Write patterns without backslashes (use [0-9], [[:space:]], ...): Snowflake string
  literals treat a backslash as an escape character, DuckDB's do not.
-#}
{% macro regexp_replace_all(expr, pattern, replacement) -%}
    {{ return(adapter.dispatch('regexp_replace_all', 'scv_dbt')(expr, pattern, replacement)) }}
{%- endmacro %}

{% macro default__regexp_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, {{ sql_literal(pattern) }}, {{ sql_literal(replacement) }})
{%- endmacro %}

{% macro duckdb__regexp_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, {{ sql_literal(pattern) }}, {{ sql_literal(replacement) }}, 'g')
{%- endmacro %}
