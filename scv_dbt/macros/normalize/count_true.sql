{#- How many of the given boolean expressions are true (NULL counts as not true). -#}
{% macro count_true(flags) -%}
    (
    {%- for flag in flags %}
        case when {{ flag }} then 1 else 0 end{{ " +" if not loop.last }}
    {%- endfor %}
    )
{%- endmacro %}
