-- The web shop product catalogue: one row per product of the latest catalogue export.
-- Orders of a product missing here are kept in fct_orders with is_product_known false.

select
    product_id,
    product_name,
    coalesce(category, 'Unknown') as category,
    brand,
    list_price,
    _loaded_at as catalogue_loaded_at
from {{ ref('stg_shop__products') }}
