{#-
  A condition true for the rows of fact `fact` (aliased `alias`) that no data-quality check
  holds in quality.quarantine (int_quality__held_fact_rows): the marts leave held rows out
  until they are released.
-#}
{% macro not_held(fact, alias) -%}
not exists (
    select 1
    from {{ ref('int_quality__held_fact_rows') }} as held
    where held.source = '{{ fact }}'
        and held.source_file = {{ alias }}._source_file
        and held.source_row = {{ alias }}._source_row
)
{%- endmacro %}
