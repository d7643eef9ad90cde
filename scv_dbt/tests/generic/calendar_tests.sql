{#- Days missing between the first and the last value of a date column (one row if any). -#}
{% test gap_free_days(model, column_name) %}
    select min({{ column_name }}) as first_day, max({{ column_name }}) as last_day,
        count(distinct {{ column_name }}) as days
    from {{ model }}
    having count(distinct {{ column_name }})
        <> {{ dbt.datediff('min(' ~ column_name ~ ')', 'max(' ~ column_name ~ ')', 'day') }} + 1
{% endtest %}

{#-
  Full calendar years (not the first or last year of the model) whose number of US federal
  holidays is not 11 (10 before Juneteenth became one in 2021).
-#}
{% test us_federal_holidays_per_year(model, column_name, year_column='year_number') %}
    select {{ year_column }} as calendar_year,
        sum(case when {{ column_name }} then 1 else 0 end) as holidays
    from {{ model }}
    where {{ year_column }} > (select min({{ year_column }}) from {{ model }})
      and {{ year_column }} < (select max({{ year_column }}) from {{ model }})
    group by {{ year_column }}
    having sum(case when {{ column_name }} then 1 else 0 end)
        <> case when {{ year_column }} >= 2021 then 11 else 10 end
{% endtest %}
