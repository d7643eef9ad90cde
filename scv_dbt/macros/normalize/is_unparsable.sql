{#- True when a value was given (not NULL) but could not be parsed (the result is NULL). -#}
{% macro is_unparsable(given, parsed) -%}
    ({{ given }} is not null and {{ parsed }} is null)
{%- endmacro %}
