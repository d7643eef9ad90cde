{#-
  The period of the rolling windows `windows` (ascending day counts ending on `as_of_date`)
  that `day` falls in: 0 within the shortest window, 1 within the next but not the
  shortest, and so on; the last period is everything before the second-longest window
  (the caller keeps days within the longest).
-#}
{% macro behaviour_period(day, as_of_date, windows) -%}
    case
        {%- for days in windows[:-1] %}
        when {{ dbt.datediff(day, as_of_date, 'day') }} < {{ days }} then {{ loop.index0 }}
        {%- endfor %}
        else {{ windows | length - 1 }}
    end
{%- endmacro %}
