{#-
  The key a US state is looked up by in the `us_states` seed (by code or by name): letters
  and spaces only, upper case, single spaces. 'n.y.' -> 'NY', ' new  york ' -> 'NEW YORK'.
-#}
{% macro state_lookup_key(expr) -%}
    upper({{ clean_text(regexp_replace_all(expr, '[^A-Za-z[:space:]]', '')) }})
{%- endmacro %}
