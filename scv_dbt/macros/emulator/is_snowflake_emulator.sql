{#-
  True when the target is Snowflake reached on loopback: an emulator (fakesnow) used to
  check the Snowflake build without an account. Only emulator work-arounds depend on it.
-#}
{% macro is_snowflake_emulator() -%}
    {{ return(target.type == 'snowflake' and (target.get('host') or '') in ['127.0.0.1', 'localhost']) }}
{%- endmacro %}
