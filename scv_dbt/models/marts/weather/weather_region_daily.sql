-- Weather and customer activity per region (US state) and day, from the first to the last
-- day with data: the mean temperature and precipitation over the ZIP codes where current
-- customers live (weighted by customers), and those customers' card spend and shop orders.
-- A region-day without weather for any of its customers has NULL weather columns.

with as_of as (
    select as_of_date from {{ ref('int_activity__as_of_date') }}
),

customers as (
    select scv_customer_id, state_code, postal_code
    from {{ ref('dim_customer') }}
    where is_current and state_code is not null
),

region_sizes as (
    select state_code, count(*) as customers
    from customers
    group by state_code
),

-- customers per ZIP code first: the weather of 2,500 ZIP codes joins to their counts, not
-- to every customer (a 50x smaller join); averages are weighted by customers and rounded to
-- 6 decimals (the float noise of the division would otherwise pick a band at its edges)
zip_customers as (
    select state_code, postal_code, count(*) as customers
    from customers
    where postal_code is not null
    group by state_code, postal_code
),

customer_weather as (
    select
        zip_customers.state_code,
        weather.date_valid_std as weather_date,
        sum(zip_customers.customers) as customers_with_weather,
        {%- for measure, name in [
            ('avg_temperature_air_2m_f', 'avg_temperature_f'),
            ('tot_precipitation_in', 'avg_precipitation_in'),
            ('tot_snowfall_in', 'avg_snowfall_in')] %}
        round(
            sum(zip_customers.customers * weather.{{ measure }})
            / sum(case when weather.{{ measure }} is not null then zip_customers.customers end),
            6) as {{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from zip_customers
    inner join {{ ref('stg_weather__forecast_day') }} as weather
        on weather.postal_code = zip_customers.postal_code
    cross join as_of
    where weather.date_valid_std <= as_of.as_of_date
    group by zip_customers.state_code, weather.date_valid_std
),

region_activity as (
    select
        customers.state_code,
        activity.activity_date,
        sum(activity.card_spend) as card_spend,
        sum(activity.approved_transactions) as transactions,
        sum(activity.orders) as orders,
        sum(activity.order_value) as order_value,
        sum(case when activity.is_active_day then 1 else 0 end) as active_customers
    from {{ ref('int_activity__customer_day') }} as activity
    inner join customers on customers.scv_customer_id = activity.scv_customer_id
    group by customers.state_code, activity.activity_date
),

region_days as (
    select distinct state_code, activity_date as region_date from region_activity
    union
    select distinct state_code, weather_date from customer_weather
)

select
    region_days.state_code,
    region_days.region_date,
    region_sizes.customers,
    coalesce(customer_weather.customers_with_weather, 0) as customers_with_weather,
    customer_weather.avg_temperature_f,
    customer_weather.avg_precipitation_in,
    customer_weather.avg_snowfall_in,
    case
        when customer_weather.avg_temperature_f is null then 'no weather'
        when customer_weather.avg_temperature_f < 32 then 'below 32F'
        when customer_weather.avg_temperature_f < 50 then '32-50F'
        when customer_weather.avg_temperature_f < 68 then '50-68F'
        when customer_weather.avg_temperature_f < 86 then '68-86F'
        else '86F and above'
    end as temperature_band,
    case
        when customer_weather.avg_precipitation_in is null then 'no weather'
        when customer_weather.avg_precipitation_in < 0.01 then 'dry'
        when customer_weather.avg_precipitation_in < 0.1 then 'light'
        when customer_weather.avg_precipitation_in < 0.5 then 'moderate'
        else 'heavy'
    end as precipitation_band,
    coalesce(region_activity.card_spend, 0) as card_spend,
    coalesce(region_activity.transactions, 0) as transactions,
    coalesce(region_activity.orders, 0) as orders,
    coalesce(region_activity.order_value, 0) as order_value,
    coalesce(region_activity.active_customers, 0) as active_customers
from region_days
inner join region_sizes on region_sizes.state_code = region_days.state_code
left join customer_weather
    on customer_weather.state_code = region_days.state_code
    and customer_weather.weather_date = region_days.region_date
left join region_activity
    on region_activity.state_code = region_days.state_code
    and region_activity.activity_date = region_days.region_date
