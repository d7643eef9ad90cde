{#-
  Combinations of the given columns that occur more than once (the table's key).
  An incremental build can only duplicate a key it has just written, so with `rebuilt_where`
  (a condition on the rows a build writes; __min_date__ and __max_date__ are the partition
  window) or `rebuilt_latest` (a column holding each row's build time: the rows of the last
  build) only the keys of those rows are counted, over the whole table: twice among those
  rows, or once among them and again among the others. A daily run then checks its day's
  keys instead of every key of the history; a full build (every row rebuilt) checks them all
  at the cost of the plain test.
-#}
{% test unique_combination_of_columns(model, combination_of_columns,
                                      rebuilt_where=none, rebuilt_latest=none) %}
    {%- set columns = combination_of_columns | join(', ') %}
    {%- if rebuilt_where is not none %}
        {%- set rebuilt = with_partition_window(rebuilt_where) %}
    {%- elif rebuilt_latest is not none %}
        {%- set rebuilt = rebuilt_latest ~ ' = (select max(' ~ rebuilt_latest ~ ') from '
            ~ model ~ ')' %}
    {%- endif %}
    {%- if rebuilt is defined %}
    with rebuilt as (
        select {{ columns }} from {{ model }} where {{ rebuilt }}
    ),

    keys as (
        select {{ columns }} from rebuilt
        union all
        select {{ columns }}
        from {{ model }} as other
        where not ({{ rebuilt }})
            and exists (
                select 1
                from rebuilt
                where {% for column in combination_of_columns -%}
                    rebuilt.{{ column }} = other.{{ column }}{{ ' and ' if not loop.last }}
                    {%- endfor %}
            )
    )

    select {{ columns }}, count(*) as occurrences
    from keys
    {%- else %}
    select {{ columns }}, count(*) as occurrences
    from {{ model }}
    {%- endif %}
    group by {{ columns }}
    having count(*) > 1
{% endtest %}
