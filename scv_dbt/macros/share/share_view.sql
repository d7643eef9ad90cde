{#-
  Masking for the share views (models/share/): which columns hold PII, and what a consumer
  sees instead. Names, e-mails, phones, street addresses and CRM ids become the SHA-256 of
  their trimmed lower-case text (<column>_sha256: joinable, not readable); a birth date
  becomes its year (birth_year). Every other column passes through. City, state and ZIP code
  stay: weather and regional analytics need them.
-#}
{% macro pii_kind(column) -%}
    {%- set name = column | lower -%}
    {%- if 'birth' in name -%}
        {{ return('year') }}
    {%- elif 'email' in name or 'phone' in name or 'address' in name or 'street' in name
        or 'contact_id' in name or name in ['name', 'customer_name']
        or name.endswith('first_name') or name.endswith('last_name')
        or name.endswith('full_name') -%}
        {{ return('hash') }}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}

{% macro masked_column(column) -%}
    {%- set kind = pii_kind(column) -%}
    {%- if kind == 'hash' -%}
        {{ sha256_hex('lower(trim(cast(' ~ column ~ ' as ' ~ dbt.type_string() ~ ')))') }} as {{ column }}_sha256
    {%- elif kind == 'year' -%}
        extract(year from {{ column }}) as birth_year
    {%- else -%}
        {{ column }}
    {%- endif -%}
{%- endmacro %}

{#-
  The body of a share view over a gold model: its documented columns (the model's yml is the
  contract; an undocumented column is not shared), masked by pii_kind. A new share view is
  one file: {{ share_view('customer_360_profile') }}, and its yml entry.
-#}
{% macro share_view(model_name) -%}
    {%- set relation = ref(model_name) -%}
    {%- if not execute -%}
        select * from {{ relation }}
    {%- else -%}
        {%- set nodes = graph.nodes.values() | selectattr('resource_type', 'equalto', 'model')
            | selectattr('name', 'equalto', model_name) | list -%}
        {%- set columns = (nodes[0].columns.keys() | list) if nodes else [] -%}
        {%- if not columns -%}
            {{ exceptions.raise_compiler_error(
                "share_view('" ~ model_name ~ "'): the model documents no columns; only "
                ~ "documented columns are shared, so document them in its yml first") }}
        {%- endif %}
select
    {%- for column in columns %}
    {{ masked_column(column) }}{{ ',' if not loop.last }}
    {%- endfor %}
from {{ relation }}
    {%- endif -%}
{%- endmacro %}
