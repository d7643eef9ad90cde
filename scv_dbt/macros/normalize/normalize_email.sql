{#-
  An e-mail address lower-cased with all white space removed; NULL when empty or when it
  does not look like local@domain.tld (count those with `is_unparsable`).
-#}
{% macro normalize_email(expr) -%}
    {%- set compact = "lower(" ~ regexp_replace_all(expr, '[[:space:]]+', '') ~ ")" -%}
    case
        when {{ regexp_full_match(compact, '[^@]+@[^@.]+([.][^@.]+)+') }} then {{ compact }}
    end
{%- endmacro %}
