{#-
  Text trimmed, empty -> NULL. The cheap cleaning for machine-written feeds (card processor,
  web shop) on big tables; `clean_text` also collapses inner white space (a regex per value),
  which human-typed sources need.
-#}
{% macro trim_to_null(expr) -%}
    nullif(trim({{ expr }}), '')
{%- endmacro %}
