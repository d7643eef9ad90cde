-- Spend and orders against the weather: per region, temperature band and precipitation
-- band, the days observed and the average daily card spend, transactions and orders per
-- customer of the region (so regions of different sizes compare).

select
    state_code,
    temperature_band,
    precipitation_band,
    count(*) as region_days,
    avg(avg_temperature_f) as avg_temperature_f,
    avg(avg_precipitation_in) as avg_precipitation_in,
    sum(card_spend) as card_spend,
    sum(transactions) as transactions,
    sum(orders) as orders,
    sum(order_value) as order_value,
    sum(card_spend) / sum(customers) as card_spend_per_customer_day,
    cast(sum(transactions) as {{ dbt.type_float() }}) / sum(customers)
        as transactions_per_customer_day,
    cast(sum(orders) as {{ dbt.type_float() }}) / sum(customers) as orders_per_customer_day
from {{ ref('weather_region_daily') }}
group by state_code, temperature_band, precipitation_band
