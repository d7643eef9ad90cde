{#-
  Temporary relations on Snowflake (unit tests, incremental models). The emulator only
  accepts temporary tables without database and schema; real Snowflake gets dbt's default.
-#}
{% macro snowflake__make_temp_relation(base_relation, suffix='__dbt_tmp') -%}
    {%- set relation = dbt.default__make_temp_relation(base_relation, suffix) -%}
    {%- if is_snowflake_emulator() -%}
        {%- set relation = relation.incorporate(path={"database": none, "schema": none}) -%}
    {%- endif -%}
    {{ return(relation) }}
{%- endmacro %}
