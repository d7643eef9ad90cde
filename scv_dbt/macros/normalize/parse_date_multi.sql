{#-
  A date typed in any of the accepted ways, or NULL:
    ISO          '1980-05-17', '1980-5-7', also with a time ('1980-05-17 00:00:00') or '/'
    day first    '17/05/1980', '7/5/1980' (also '-' or '.' between the parts)
    Excel serial '29358' (5 digits, optionally with a fraction: days since 1899-12-30)
  Impossible days ('31/02/1980') are NULL. Month-first US dates are not guessed: the
  contract says dd/mm/yyyy, so '05/17/1980' is NULL (count those with `is_unparsable`).
-#}
{% macro parse_date_multi(expr) -%}
    {%- set value = "trim(" ~ expr ~ ")" -%}
    {%- set iso = '^([0-9]{4})[-/]([0-9]{1,2})[-/]([0-9]{1,2})([ T][0-9:.]*)?$' -%}
    {%- set dmy = '^([0-9]{1,2})[-/.]([0-9]{1,2})[-/.]([0-9]{4})$' -%}
    {%- set serial = try_cast_text(dbt.split_part(value, "'.'", 1), dbt.type_int()) -%}
    coalesce(
        {{ _iso_date_from_parts(
            regexp_extract_group(value, iso, 1),
            regexp_extract_group(value, iso, 2),
            regexp_extract_group(value, iso, 3)) }},
        {{ _iso_date_from_parts(
            regexp_extract_group(value, dmy, 3),
            regexp_extract_group(value, dmy, 2),
            regexp_extract_group(value, dmy, 1)) }},
        case
            when {{ regexp_full_match(value, '[0-9]{5}([.][0-9]+)?') }}
                then cast({{ dbt.dateadd('day', serial, "cast('1899-12-30' as date)") }} as date)
        end
    )
{%- endmacro %}

{#- Year, month and day texts (NULL when absent) as a DATE, NULL when not a calendar day. -#}
{% macro _iso_date_from_parts(year, month, day) -%}
    {{ safe_iso_date(year ~ " || '-' || lpad(" ~ month ~ ", 2, '0') || '-' || lpad(" ~ day ~ ", 2, '0')") }}
{%- endmacro %}
