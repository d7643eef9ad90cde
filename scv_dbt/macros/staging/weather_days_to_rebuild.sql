{#-
  The days stg_weather__forecast_day builds again, as a SQL condition on `column`: the
  `date_valid_std` of bronze rows loaded after the latest `_loaded_at` of the model (a new
  or re-delivered file). `true` (every day) when the whole model is built.
-#}
{% macro weather_days_to_rebuild(column) -%}
    {%- set loaded = newly_loaded(source('bronze', 'weather_forecast_day'), 'date_valid_std') -%}
    {%- if loaded is none -%}
        true
    {%- else -%}
        {{ column }} in ({{ loaded }})
    {%- endif -%}
{%- endmacro %}
