-- The day the gold metrics describe: the last day with card transactions or shop orders
-- (one row). Rolling windows (30/90/365 days) end on this day, inclusive.

select max(last_day) as as_of_date
from (
    select max(partition_date) as last_day from {{ ref('fct_transactions') }}
    union all
    select max(partition_date) as last_day from {{ ref('fct_orders') }}
) as days
