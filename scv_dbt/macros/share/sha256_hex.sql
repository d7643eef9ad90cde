{#-
  SHA-256 of a value's text as 64 lower-case hex characters; NULL stays NULL.
-#}
{% macro sha256_hex(expr) -%}
    {{ return(adapter.dispatch('sha256_hex', 'scv_dbt')(expr)) }}
{%- endmacro %}

{% macro default__sha256_hex(expr) -%}
    sha2(cast({{ expr }} as {{ dbt.type_string() }}), 256)
{%- endmacro %}

{% macro duckdb__sha256_hex(expr) -%}
    sha256(cast({{ expr }} as {{ dbt.type_string() }}))
{%- endmacro %}
