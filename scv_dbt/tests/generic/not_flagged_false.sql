{#-
  Rows where a boolean "is resolved / is known" flag is false: counts the fact rows whose
  key does not resolve. Usually `severity: warn` (the rows are kept and flagged).
-#}
{% test not_flagged_false(model, column_name) %}
    select {{ column_name }} as unresolved
    from {{ model }}
    where not {{ column_name }}
{% endtest %}
