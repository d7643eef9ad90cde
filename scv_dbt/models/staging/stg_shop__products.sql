-- One row per web shop product: the row of the latest-loaded catalogue export.

with latest as (
    select *
    from {{ source('bronze', 'shop_products') }}
    {{ dedupe_latest(
        partition_by='trim(product_id)',
        order_by='_loaded_at desc, _source_file desc, _source_row desc'
    ) }}
)

select
    trim(product_id) as product_id,
    {{ clean_text('product_name') }} as product_name,
    {{ clean_text('category') }} as category,
    {{ clean_text('brand') }} as brand,
    list_price,
    _source_file,
    _batch_id,
    _loaded_at
from latest
