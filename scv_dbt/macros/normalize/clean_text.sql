{#- Text with runs of white space collapsed to one space, trimmed; empty -> NULL. -#}
{% macro clean_text(expr) -%}
    nullif(trim({{ regexp_replace_all(expr, '[[:space:]]+', ' ') }}), '')
{%- endmacro %}
