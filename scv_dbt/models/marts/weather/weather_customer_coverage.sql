-- Weather coverage of customers per day: of the current customers, how many have a valid
-- ZIP code and how many have weather for that ZIP code on the day (goal: 90 %), over the
-- days that have any weather file.

with customers as (
    select scv_customer_id, postal_code
    from {{ ref('dim_customer') }}
    where is_current
),

weather_days as (
    select distinct date_valid_std as weather_date
    from {{ ref('stg_weather__forecast_day') }}
),

covered as (
    select weather.date_valid_std as weather_date, count(*) as customers_with_weather
    from customers
    inner join {{ ref('stg_weather__forecast_day') }} as weather
        on weather.postal_code = customers.postal_code
    group by weather.date_valid_std
),

totals as (
    select
        count(*) as current_customers,
        coalesce(sum(case when postal_code is not null then 1 else 0 end), 0)
            as customers_with_postal_code
    from customers
)

select
    weather_days.weather_date,
    totals.current_customers,
    totals.customers_with_postal_code,
    coalesce(covered.customers_with_weather, 0) as customers_with_weather,
    cast(totals.customers_with_postal_code as {{ dbt.type_float() }})
        / nullif(totals.current_customers, 0) as postal_code_share,
    cast(coalesce(covered.customers_with_weather, 0) as {{ dbt.type_float() }})
        / nullif(totals.current_customers, 0) as weather_coverage_share,
    coalesce(cast(covered.customers_with_weather as {{ dbt.type_float() }})
        / nullif(totals.current_customers, 0), 0) >= 0.9 as meets_coverage_goal
from weather_days
cross join totals
left join covered on covered.weather_date = weather_days.weather_date
