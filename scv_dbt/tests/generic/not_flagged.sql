{#-
  Rows where a boolean flag column is true, e.g. `dob_unparsable`: the test reports how many
  values could not be parsed. Usually `severity: warn` (a data-quality observation).
-#}
{% test not_flagged(model, column_name) %}
    select {{ column_name }} as flagged
    from {{ model }}
    where {{ column_name }}
{% endtest %}
