{#-
  The days stg_weather__forecast_day builds again, as a SQL condition on `column`: the
  `date_valid_std` of bronze rows loaded after the latest `_loaded_at` of the model (a new
  or re-delivered file). `true` (every day) when the whole model is built.
-#}
{% macro weather_days_to_rebuild(column) -%}
    {%- set since = incremental_watermark('_loaded_at') -%}
    {%- if since is none -%}
        true
    {%- else -%}
        {{ column }} in (
            select date_valid_std
            from {{ source('bronze', 'weather_forecast_day') }}
            where _loaded_at > {{ since }}
        )
    {%- endif -%}
{%- endmacro %}
