{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook=["{{ delete_rows_to_rebuild(orders_to_rebuild('order_id', '_file_date')) }}"]
) }}
-- One row per web shop order. An order delivered again (in a later file) keeps its latest
-- loaded row. `_file_date`, the day of the landing file, is the order's event day:
-- incremental facts read this table by `_file_date` range.
-- Incremental: a build deletes the orders of newly loaded bronze rows and of their file
-- days (orders_to_rebuild), then adds the latest delivery of every order it no longer
-- holds, so a daily run normalises one day of orders, not the whole history.

-- on an incremental build, the deliveries of the orders the model no longer holds come
-- first: the latest of each is then looked for among those rows only
with unbuilt as (
    select *
    from {{ source('bronze', 'shop_orders') }} as delivered
    {%- if is_incremental() %}
    where not exists (
        select 1 from {{ this }} as built where built.order_id = trim(delivered.order_id)
    )
    {%- endif %}
),

latest as (
    select *
    from unbuilt as delivered
    where {{ not_superseded(source('bronze', 'shop_orders'), 'delivered', 'order_id') }}
),

cleaned as (
    select
        trim(order_id) as order_id,
        order_ts,
        _file_date,
        trim(shop_customer_id) as shop_customer_id,
        {{ trim_to_null('customer_email') }} as customer_email_text,
        trim(product_id) as product_id,
        quantity,
        unit_price,
        total_amount,
        lower({{ trim_to_null('order_status') }}) as order_status,
        _source_file,
        _source_row,
        _batch_id,
        _loaded_at
    from latest
),

standardised as (
    select
        cleaned.*,
        {{ normalize_email('customer_email_text') }} as customer_email
    from cleaned
)

select
    order_id,
    order_ts,
    cast(order_ts as date) as order_date,
    _file_date,
    shop_customer_id,
    customer_email,
    product_id,
    quantity,
    unit_price,
    total_amount,
    quantity * unit_price as line_amount,
    total_amount is null as total_amount_missing,
    order_status,
    {{ is_unparsable('customer_email_text', 'customer_email') }} as email_unparsable,
    _source_file,
    _source_row,
    _batch_id,
    _loaded_at
from standardised
