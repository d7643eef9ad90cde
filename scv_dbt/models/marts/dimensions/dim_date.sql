-- The calendar: one row per day from the earlier of var calendar_start and the first day of
-- data, to a year after the later of today and the last day of data. US federal holidays
-- are computed from their rules (fixed dates and n-th / last weekdays), not looked up.

with data_days as (
    select min(_file_date) as first_day, max(_file_date) as last_day
    from {{ source('bronze', 'card_transactions') }}
    union all
    select min(_file_date), max(_file_date) from {{ source('bronze', 'shop_orders') }}
    union all
    select min(_file_date), max(_file_date) from {{ source('bronze', 'weather_forecast_day') }}
),

bounds as (
    select
        least(cast('{{ var("calendar_start") }}' as date), coalesce(min(first_day), current_date))
            as start_day,
        {{ dbt.dateadd('day', 365, 'greatest(current_date, coalesce(max(last_day), current_date))') }}
            as end_day
    from data_days
),

days as (
    select cast({{ dbt.dateadd('day', 'offsets.day_offset', 'bounds.start_day') }} as date) as date_day
    from ({{ day_sequence() }}) as offsets
    cross join bounds
    where offsets.day_offset <= {{ dbt.datediff('bounds.start_day', 'bounds.end_day', 'day') }}
),

parts as (
    select
        date_day,
        cast(date_part('year', date_day) as integer) as year_number,
        cast(date_part('quarter', date_day) as integer) as quarter_number,
        cast(date_part('month', date_day) as integer) as month_number,
        cast(date_part('day', date_day) as integer) as day_of_month,
        cast(date_part('dayofyear', date_day) as integer) as day_of_year,
        cast({{ iso_day_of_week('date_day') }} as integer) as iso_day_of_week,
        cast({{ iso_week('date_day') }} as integer) as iso_week_number,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start_date,
        cast({{ dbt.date_trunc('quarter', 'date_day') }} as date) as quarter_start_date,
        cast({{ dbt.date_trunc('year', 'date_day') }} as date) as year_start_date,
        cast({{ dbt.last_day('date_day', 'month') }} as date) as month_end_date
    from days
),

holidays as (
    select
        parts.*,
        case
            when month_number = 1 and day_of_month = 1 then 'New Year''s Day'
            when month_number = 1 and iso_day_of_week = 1 and day_of_month between 15 and 21
                then 'Martin Luther King Jr. Day'
            when month_number = 2 and iso_day_of_week = 1 and day_of_month between 15 and 21
                then 'Washington''s Birthday'
            when month_number = 5 and iso_day_of_week = 1 and day_of_month >= 25
                then 'Memorial Day'
            when month_number = 6 and day_of_month = 19 and year_number >= 2021
                then 'Juneteenth National Independence Day'
            when month_number = 7 and day_of_month = 4 then 'Independence Day'
            when month_number = 9 and iso_day_of_week = 1 and day_of_month <= 7 then 'Labor Day'
            when month_number = 10 and iso_day_of_week = 1 and day_of_month between 8 and 14
                then 'Columbus Day'
            when month_number = 11 and day_of_month = 11 then 'Veterans Day'
            when month_number = 11 and iso_day_of_week = 4 and day_of_month between 22 and 28
                then 'Thanksgiving Day'
            when month_number = 12 and day_of_month = 25 then 'Christmas Day'
        end as us_holiday_name
    from parts
)

select
    date_day,
    year_number * 10000 + month_number * 100 + day_of_month as date_key,
    year_number,
    quarter_number,
    month_number,
    case month_number
        when 1 then 'January' when 2 then 'February' when 3 then 'March'
        when 4 then 'April' when 5 then 'May' when 6 then 'June'
        when 7 then 'July' when 8 then 'August' when 9 then 'September'
        when 10 then 'October' when 11 then 'November' else 'December'
    end as month_name,
    day_of_month,
    day_of_year,
    iso_day_of_week,
    case iso_day_of_week
        when 1 then 'Monday' when 2 then 'Tuesday' when 3 then 'Wednesday'
        when 4 then 'Thursday' when 5 then 'Friday' when 6 then 'Saturday' else 'Sunday'
    end as day_name,
    iso_week_number,
    cast({{ dbt.dateadd('day', '1 - iso_day_of_week', 'date_day') }} as date) as week_start_date,
    month_start_date,
    month_end_date,
    quarter_start_date,
    year_start_date,
    cast(year_number as {{ dbt.type_string() }}) || '-'
        || {{ dbt.right("'0' || cast(month_number as " ~ dbt.type_string() ~ ")", 2) }}
        as year_month,
    iso_day_of_week >= 6 as is_weekend,
    us_holiday_name is not null as is_us_holiday,
    us_holiday_name,
    iso_day_of_week < 6 and us_holiday_name is null as is_business_day
from holidays
