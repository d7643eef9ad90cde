{#- A date written into SQL: `day` must read YYYY-MM-DD (it is checked, not trusted). -#}
{% macro date_literal(day) -%}
    {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', day | string) -%}
        {{ exceptions.raise_compiler_error("not a date YYYY-MM-DD: " ~ (day | string | tojson)) }}
    {%- endif -%}
    cast('{{ day }}' as date)
{%- endmacro %}

{#- The first day of the month after `month` (a YYYY-MM-01 string), as YYYY-MM-DD. -#}
{% macro next_month(month) -%}
    {%- set year, number = month[:4] | int, month[5:7] | int -%}
    {%- if number == 12 -%}
        {{- '%04d-01-01' % (year + 1) -}}
    {%- else -%}
        {{- '%04d-%02d-01' % (year, number + 1) -}}
    {%- endif -%}
{%- endmacro %}
