{#-
  A US ZIP code as its 5 digits. Restores what spreadsheets lose: '2134' -> '02134'
  (3 or 4 digits are left-padded with zeros); ZIP+4 '02134-1234' (also '2134-1234',
  '021341234') -> '02134'. NULL for anything else.
-#}
{% macro normalize_postal_code(expr) -%}
    {%- set code = regexp_replace_all(expr, '[[:space:]]+', '') -%}
    case
        when {{ regexp_full_match(code, '[0-9]{3,5}(-[0-9]{4})?') }}
            then lpad({{ dbt.split_part(code, "'-'", 1) }}, 5, '0')
        when {{ regexp_full_match(code, '[0-9]{9}') }}
            then left({{ code }}, 5)
    end
{%- endmacro %}
