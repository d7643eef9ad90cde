{#-
  One part ('first', 'middle' or 'last') of a person's name typed as 'Last, First [Middle]'
  or 'First [Middle] Last'. Spaces are collapsed; the case is left as typed (wrap the
  result in `proper_case`). A single word is taken as the last name.
    'Smith, Ann Marie' -> first 'Ann', middle 'Marie', last 'Smith'
    'Ann Marie Smith'  -> first 'Ann', middle 'Marie', last 'Smith'
-#}
{% macro person_name_part(expr, part) -%}
    {%- set name = clean_text(expr) -%}
    {%- set has_comma = name ~ " like '%,%'" -%}
    {%- set given -%}
        case
            when {{ has_comma }} then {{ clean_text(regexp_extract_group(name, '^[^,]*,(.*)$')) }}
            else {{ regexp_extract_group(name, '^(.*) [^ ]+$') }}
        end
    {%- endset -%}
    {%- if part == 'last' -%}
        case
            when {{ has_comma }} then {{ clean_text(regexp_extract_group(name, '^([^,]*),')) }}
            else {{ regexp_extract_group(name, '([^ ]+)$') }}
        end
    {%- elif part == 'first' -%}
        {{ regexp_extract_group(given, '^([^ ]+)') }}
    {%- elif part == 'middle' -%}
        {{ regexp_extract_group(given, '^[^ ]+ (.+)$') }}
    {%- else -%}
        {{ exceptions.raise_compiler_error("person_name_part: part must be first, middle or last, got " ~ part) }}
    {%- endif -%}
{%- endmacro %}
