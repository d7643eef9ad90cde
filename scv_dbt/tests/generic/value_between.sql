{#-
  Rows whose value lies outside [min_value, max_value] (either bound optional). The bounds
  are SQL expressions: 0, 100, "cast('1900-01-01' as date)", "current_date", ...
  NULLs pass (test them with not_null).
-#}
{% test value_between(model, column_name, min_value=none, max_value=none) %}
    {%- if min_value is none and max_value is none -%}
        {{ exceptions.raise_compiler_error("value_between needs min_value, max_value or both") }}
    {%- endif %}
    select {{ column_name }} as value_out_of_range
    from {{ model }}
    where {{ column_name }} is not null
      and (
        {%- if min_value is not none %} {{ column_name }} < {{ min_value }}{% endif %}
        {%- if min_value is not none and max_value is not none %} or{% endif %}
        {%- if max_value is not none %} {{ column_name }} > {{ max_value }}{% endif %}
      )
{% endtest %}
