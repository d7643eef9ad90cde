{#- Fails when the model has no rows at all (a mart that silently went empty). -#}
{% test not_empty(model) %}
    select 1 as no_rows
    from (select count(*) as row_count from {{ model }}) as counted
    where row_count = 0
{% endtest %}
