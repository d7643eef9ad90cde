{#-
  Grants on Snowflake: dbt's own (the `grants` config of the share views, dbt_project.yml),
  plus USAGE on the relation's database and schema for the same roles, without which a
  SELECT grant cannot be used. The emulator has no roles: there the statements real
  Snowflake would run are logged instead. DuckDB has no grants (dbt-duckdb skips them).
-#}
{% macro usage_grant_statements(relation, grant_config) -%}
    {%- set roles = [] -%}
    {%- for grantees in grant_config.values() -%}
        {%- for role in grantees if role not in roles -%}
            {%- do roles.append(role) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set statements = [] -%}
    {%- for role in roles -%}
        {%- do statements.append('grant usage on database ' ~ relation.database ~ ' to role ' ~ role) -%}
        {%- do statements.append('grant usage on schema ' ~ relation.database ~ '.' ~ relation.schema ~ ' to role ' ~ role) -%}
    {%- endfor -%}
    {{ return(statements) }}
{%- endmacro %}

{% macro snowflake__apply_grants(relation, grant_config, should_revoke=True) -%}
    {%- if not grant_config -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set usage = usage_grant_statements(relation, grant_config) -%}
    {%- if is_snowflake_emulator() -%}
        {%- for statement in usage + get_dcl_statement_list(relation, grant_config, get_grant_sql) -%}
            {{ log('emulator, not run: ' ~ statement, info=True) }}
        {%- endfor -%}
        {{ return(none) }}
    {%- endif -%}
    {%- do call_dcl_statements(usage) -%}
    {%- do dbt.default__apply_grants(relation, grant_config, should_revoke) -%}
{%- endmacro %}
