{#-
  Fails (one row) when an aggregate of this model differs by more than `tolerance` from the
  same aggregate of another model, or from a constant `expected`: for reconciliations such
  as "the marts carry all the facts' value" or "one profile per current customer".
  `expression` and `compare_expression` are aggregate SQL (count(*), sum(amount));
  `where_clause` and `compare_where` filter either side (__min_date__ and __max_date__ in
  them are the partition window, see with_partition_window); `compare_held_source` (a fact name)
  leaves out the compared fact's rows a data-quality check holds in quality.quarantine, as
  the marts do.
-#}
{% test equal_aggregate(model, expression, compare_model=none, compare_expression=none,
                        expected=none, where_clause=none, compare_where=none,
                        compare_held_source=none, tolerance=0) %}
    {%- if (compare_model is none) == (expected is none) -%}
        {{ exceptions.raise_compiler_error("equal_aggregate needs compare_model or expected") }}
    {%- endif %}
    with this_side as (
        select {{ expression }} as value
        from {{ model }}
        {% if where_clause %}where {{ with_partition_window(where_clause) }}{% endif %}
    ),
    other_side as (
        {%- if compare_model is not none %}
        select {{ compare_expression or expression }} as value
        from {{ compare_model }} as compared
        where {{ with_partition_window(compare_where or 'true') }}
        {%- if compare_held_source %}
            and {{ not_held(compare_held_source, 'compared') }}
        {%- endif %}
        {%- else %}
        select {{ expected }} as value
        {%- endif %}
    )
    select this_side.value as model_value, other_side.value as compare_value
    from this_side
    cross join other_side
    where abs(coalesce(this_side.value, 0) - coalesce(other_side.value, 0)) > {{ tolerance }}
{% endtest %}
