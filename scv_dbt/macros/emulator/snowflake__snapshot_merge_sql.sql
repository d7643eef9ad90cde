{#-
  The snapshot merge. The emulator rewrites MERGE into a join of target and source, where
  the unqualified column names of `insert (...) values (...)` are ambiguous, and which
  cannot run inside an explicit transaction; there the inserted values name the source
  explicitly and the statement runs on its own (autocommit). Real Snowflake gets dbt's
  default.
-#}
{% macro snowflake__snapshot_merge_sql(target, source, insert_cols) -%}
    {%- if not is_snowflake_emulator() -%}
        {{ return(dbt.snowflake__snapshot_merge_sql(target, source, insert_cols)) }}
    {%- endif -%}
    {%- set columns = config.get("snapshot_table_column_names") or get_snapshot_table_column_names() -%}
    merge into {{ target.render() }} as DBT_INTERNAL_DEST
    using {{ source }} as DBT_INTERNAL_SOURCE
    on DBT_INTERNAL_SOURCE.{{ columns.dbt_scd_id }} = DBT_INTERNAL_DEST.{{ columns.dbt_scd_id }}
    when matched
        and DBT_INTERNAL_DEST.{{ columns.dbt_valid_to }} is null
        and DBT_INTERNAL_SOURCE.dbt_change_type in ('update', 'delete')
        then update set {{ columns.dbt_valid_to }} = DBT_INTERNAL_SOURCE.{{ columns.dbt_valid_to }}
    when not matched
        and DBT_INTERNAL_SOURCE.dbt_change_type = 'insert'
        then insert ({{ insert_cols | join(', ') }})
        values (DBT_INTERNAL_SOURCE.{{ insert_cols | join(', DBT_INTERNAL_SOURCE.') }})
{%- endmacro %}
