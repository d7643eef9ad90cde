{#- A Jinja string as a SQL string literal, single quotes doubled (valid on every engine). -#}
{% macro sql_literal(text) -%}
    '{{ text | replace("'", "''") }}'
{%- endmacro %}
