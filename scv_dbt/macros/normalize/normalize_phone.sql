{#-
  A US phone number in E.164 form ('+1' and 10 digits) from any of the usual ways of typing
  it: "(617) 555-0123", "617-555-0123", "+1 617 555 0123", "617.555.0123", "6175550123",
  "1-617-555-0123"; an extension ("x12", "ext. 12") is dropped. NULL when what is left is not
  10 digits, or 11 digits starting with 1, or when an international prefix other than +1
  is given.
-#}
{% macro normalize_phone(expr) -%}
    {%- set without_extension = regexp_replace_all(
        "lower(" ~ expr ~ ")", '[[:space:]]*(x|ext|extension)[.]?[[:space:]]*[0-9]+[[:space:]]*$', ''
    ) -%}
    {%- set digits = regexp_replace_all(without_extension, '[^0-9]', '') -%}
    case
        when {{ regexp_full_match("trim(" ~ expr ~ ")", '[+][[:space:]]*[02-9].*') }} then null
        when length({{ digits }}) = 10 then '+1' || {{ digits }}
        when length({{ digits }}) = 11 and left({{ digits }}, 1) = '1' then '+' || {{ digits }}
    end
{%- endmacro %}
