{#-
  Initial capitals: the first letter of every word upper case, the rest lower case.
  A word starts at the beginning, after a space, a hyphen or an apostrophe
  ("o'BRIEN smith-jones" -> "O'Brien Smith-Jones"). DuckDB has no INITCAP.
-#}
{% macro proper_case(expr) -%}
    {{ return(adapter.dispatch('proper_case', 'scv_dbt')(expr)) }}
{%- endmacro %}

{% macro default__proper_case(expr) -%}
    initcap({{ expr }}, ' -''')
{%- endmacro %}

{% macro duckdb__proper_case(expr) -%}
    array_to_string(
        list_transform(
            range(1, length({{ expr }}) + 1),
            lambda i: case
                when i = 1 or substr({{ expr }}, i - 1, 1) in (' ', '-', '''')
                    then upper(substr({{ expr }}, i, 1))
                else lower(substr({{ expr }}, i, 1))
            end
        ),
        ''
    )
{%- endmacro %}
