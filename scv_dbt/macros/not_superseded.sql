{#-
  A WHERE condition keeping a row of `relation` (aliased `alias`) only when no other row with
  the same `key_column` was delivered later (later _loaded_at, then _source_file, then
  _source_row): one row per key, the latest delivery.

  Same result as `dedupe_latest`, but written as an anti-join so that a filter on the outer
  rows (e.g. `_file_date` = one day, from an incremental fact) is pushed down to the scan:
  a one-day read of a view built on this costs one day plus a scan of the key column,
  not a sort of the whole history. Keys are compared as delivered (no trim: that would cost
  a function call per row of history); a key delivered once with and once without stray
  spaces would survive twice and fail the model's unique test, loudly.
-#}
{% macro not_superseded(relation, alias, key_column) -%}
    not exists (
        select 1
        from {{ relation }} as superseding
        where superseding.{{ key_column }} = {{ alias }}.{{ key_column }}
          and (
            superseding._loaded_at > {{ alias }}._loaded_at
            or (superseding._loaded_at = {{ alias }}._loaded_at
                and superseding._source_file > {{ alias }}._source_file)
            or (superseding._loaded_at = {{ alias }}._loaded_at
                and superseding._source_file = {{ alias }}._source_file
                and superseding._source_row > {{ alias }}._source_row)
          )
    )
{%- endmacro %}
