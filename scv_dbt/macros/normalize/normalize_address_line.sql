{#-
  A street line in one canonical form for matching: upper case, punctuation dropped,
  single spaces, and the USPS abbreviations for street suffixes and unit words
  ('12 Maple Street, Apt. 3' -> '12 MAPLE ST APT 3').
-#}
{% macro normalize_address_line(expr) -%}
    {%- set abbreviations = {
        'STREET': 'ST', 'AVENUE': 'AVE', 'AV': 'AVE', 'ROAD': 'RD', 'DRIVE': 'DR',
        'LANE': 'LN', 'BOULEVARD': 'BLVD', 'COURT': 'CT', 'PLACE': 'PL', 'TERRACE': 'TER',
        'CIRCLE': 'CIR', 'HIGHWAY': 'HWY', 'PARKWAY': 'PKWY', 'SQUARE': 'SQ', 'TRAIL': 'TRL',
        'APARTMENT': 'APT', 'SUITE': 'STE', 'FLOOR': 'FL'
    } -%}
    {#- pad with spaces so every word, first and last included, is found as ' WORD ' -#}
    {%- set ns = namespace(line="' ' || " ~ clean_text("upper(" ~ regexp_replace_all(expr, '[.,;]', ' ') ~ ")") ~ " || ' '") -%}
    {%- for word, abbreviation in abbreviations | dictsort -%}
        {%- set ns.line = "replace(" ~ ns.line ~ ", ' " ~ word ~ " ', ' " ~ abbreviation ~ " ')" -%}
    {%- endfor -%}
    nullif(trim({{ ns.line }}), '')
{%- endmacro %}
