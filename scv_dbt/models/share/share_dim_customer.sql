-- gold.dim_customer for analysts and the Snowflake share: PII hashed, birth date as a year.
{{ config(alias='dim_customer') }}
{{ share_view('dim_customer') }}
