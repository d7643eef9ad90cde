{#-
  Custom schemas land under their own name, without the target-schema prefix dbt adds by
  default: `+schema: silver` builds in `silver`, `+schema: gold` in `gold`, on every target.
  Models without a custom schema go to the target's schema.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema | trim }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
