{#-
  Keep one row per key: the first by `order_by` (put the latest first, and end with columns
  that make the order total, e.g. _source_file and _source_row, so reruns pick the same row).
  QUALIFY works on DuckDB and Snowflake.
-#}
{% macro dedupe_latest(partition_by, order_by) -%}
    qualify row_number() over (partition by {{ partition_by }} order by {{ order_by }}) = 1
{%- endmacro %}
