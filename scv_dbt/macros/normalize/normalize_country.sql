{#- Country as written, upper case; the usual spellings of the United States become 'US'. -#}
{% macro normalize_country(expr) -%}
    {%- set key = "upper(" ~ clean_text(regexp_replace_all(expr, '[.]', '')) ~ ")" -%}
    case
        when {{ key }} in ('US', 'USA', 'UNITED STATES', 'UNITED STATES OF AMERICA', 'AMERICA')
            then 'US'
        else {{ key }}
    end
{%- endmacro %}
