{#-
  Scratch tables of unit tests (and snapshots) on Snowflake. The emulator cannot describe a
  temporary table, which a unit test needs for its expected rows, so there they are created
  as ordinary tables (in the session's schema; dbt drops them afterwards). Real Snowflake
  gets dbt's default.
-#}
{% macro snowflake__get_create_table_as_sql(temporary, relation, sql) -%}
    {{ return(dbt.default__get_create_table_as_sql(temporary and not is_snowflake_emulator(), relation, sql)) }}
{%- endmacro %}
