{#- ISO day of the week of a date: 1 Monday .. 7 Sunday (independent of session settings). -#}
{% macro iso_day_of_week(date_expr) -%}
    {{ return(adapter.dispatch('iso_day_of_week')(date_expr)) }}
{%- endmacro %}

{% macro default__iso_day_of_week(date_expr) -%}
    isodow({{ date_expr }})
{%- endmacro %}

{% macro snowflake__iso_day_of_week(date_expr) -%}
    dayofweekiso({{ date_expr }})
{%- endmacro %}

{#- ISO 8601 week number of a date (1..53). -#}
{% macro iso_week(date_expr) -%}
    {{ return(adapter.dispatch('iso_week')(date_expr)) }}
{%- endmacro %}

{% macro default__iso_week(date_expr) -%}
    weekofyear({{ date_expr }})
{%- endmacro %}

{% macro snowflake__iso_week(date_expr) -%}
    weekiso({{ date_expr }})
{%- endmacro %}
