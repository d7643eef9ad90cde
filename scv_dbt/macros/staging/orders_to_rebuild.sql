{#-
  The rows stg_shop__orders builds again on an incremental run, as a SQL condition on its
  `key` (order id) and `file_date` columns: orders in bronze rows loaded after the model's
  latest `_loaded_at` (new or re-delivered), and every order of the file days those rows
  belong to (a re-delivered file may have dropped an order, or held the order's latest
  delivery). `true` (every row) when the whole model is built. The model then inserts the
  latest delivery of every order it no longer holds.
-#}
{% macro orders_to_rebuild(key, file_date) -%}
    {%- set since = incremental_watermark('_loaded_at') -%}
    {%- if since is none -%}
        true
    {%- else -%}
        ({{ key }} in (
            select trim(order_id)
            from {{ source('bronze', 'shop_orders') }}
            where _loaded_at > {{ since }}
        )
        or {{ file_date }} in (
            select _file_date
            from {{ source('bronze', 'shop_orders') }}
            where _loaded_at > {{ since }}
        ))
    {%- endif -%}
{%- endmacro %}
