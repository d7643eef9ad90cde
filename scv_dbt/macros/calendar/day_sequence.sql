{#-
  The integers 0 .. 2^powers - 1 as column `day_offset`, from cross joins of a two-row
  table (works on every engine; 2^15 days are about 90 years).
-#}
{% macro day_sequence(powers=15) -%}
    select
        {% for i in range(powers) -%}
        bit{{ i }}.b * {{ 2 ** i }}{{ " +" if not loop.last }}
        {% endfor -%} as day_offset
    from
        {% for i in range(powers) -%}
        (select 0 as b union all select 1 as b) as bit{{ i }}{{ " cross join" if not loop.last }}
        {% endfor %}
{%- endmacro %}
