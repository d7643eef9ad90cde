{#-
  Temporary tables created as a statement of their own (snapshot staging tables). The
  emulator cannot describe a temporary table, and a snapshot reads its staging table's
  columns to merge, so there they are transient tables (dropped by dbt afterwards). Real
  Snowflake gets dbt's default.
-#}
{% macro snowflake__create_table_temporary_sql(relation, compiled_code) -%}
    {%- if is_snowflake_emulator() -%}
        {{ return(dbt.snowflake__create_table_transient_sql(relation, compiled_code)) }}
    {%- endif -%}
    {{ return(dbt.snowflake__create_table_temporary_sql(relation, compiled_code)) }}
{%- endmacro %}
