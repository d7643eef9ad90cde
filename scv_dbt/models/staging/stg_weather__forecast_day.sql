{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook=["{{ delete_rows_to_rebuild(weather_days_to_rebuild('date_valid_std')) }}"]
) }}
-- Daily weather per 5-digit ZIP code and day (Weather Source OnPoint FORECAST_DAY).
-- Postal codes are restored to ZIP5 before de-duplicating, so '2134' and '02134' are one
-- place; per ZIP and day the latest loaded row wins. Incremental by day: a build redoes the
-- days that bronze rows loaded after the latest `_loaded_at` here belong to (the
-- de-duplication is per day, so those days come out whole) and keeps the others.

with standardised as (
    select
        {{ normalize_postal_code('postal_code') }} as postal_code,
        {{ clean_text('postal_code') }} as postal_code_text,
        {{ normalize_country('country') }} as country_code,
        date_valid_std,
        _file_date,
        min_temperature_air_2m_f,
        avg_temperature_air_2m_f,
        max_temperature_air_2m_f,
        tot_precipitation_in,
        tot_snowfall_in,
        avg_humidity_relative_2m_pct,
        avg_wind_speed_10m_mph,
        avg_cloud_cover_tot_pct,
        _source_file,
        _source_row,
        _batch_id,
        _loaded_at
    from {{ source('bronze', 'weather_forecast_day') }}
    where {{ weather_days_to_rebuild('date_valid_std') }}
),

latest as (
    select *
    from standardised
    {{ dedupe_latest(
        partition_by='date_valid_std, coalesce(postal_code, postal_code_text)',
        order_by='_loaded_at desc, _source_file desc, _source_row desc'
    ) }}
)

select
    postal_code,
    country_code,
    date_valid_std,
    _file_date,
    min_temperature_air_2m_f,
    avg_temperature_air_2m_f,
    max_temperature_air_2m_f,
    tot_precipitation_in,
    tot_snowfall_in,
    avg_humidity_relative_2m_pct,
    avg_wind_speed_10m_mph,
    avg_cloud_cover_tot_pct,
    {{ is_unparsable('postal_code_text', 'postal_code') }} as postal_code_unparsable,
    _source_file,
    _source_row,
    _batch_id,
    _loaded_at
from latest
