{#-
  The rows stg_shop__orders builds again on an incremental run, as a SQL condition on its
  `key` (order id) and `file_date` columns: orders in bronze rows loaded after the model's
  latest `_loaded_at` (new or re-delivered), and every order of the file days those rows
  belong to (a re-delivered file may have dropped an order, or held the order's latest
  delivery). `true` (every row) when the whole model is built. The model then inserts the
  latest delivery of every order it no longer holds.
-#}
{% macro orders_to_rebuild(key, file_date) -%}
    {%- set loaded = newly_loaded(
        source('bronze', 'shop_orders'), 'trim(order_id) as order_id, _file_date') -%}
    {%- if loaded is none -%}
        true
    {%- else -%}
        ({{ key }} in (select order_id from ({{ loaded }}) as loaded_orders)
        or {{ file_date }} in (select _file_date from ({{ loaded }}) as loaded_days))
    {%- endif -%}
{%- endmacro %}
