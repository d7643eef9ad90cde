{#-
  A 64-bit floating-point type on every engine. dbt.type_float() renders FLOAT, which is
  64-bit on Snowflake but 32-bit on DuckDB; sums of money and counts want 64 bits (and are
  much faster than DECIMAL(38, x) / HUGEINT sums on DuckDB).
-#}
{% macro type_double() -%}
    double precision
{%- endmacro %}
