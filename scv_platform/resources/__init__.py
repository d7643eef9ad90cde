"""Resources chosen by ``SCV_ENV``: DuckDB locally, Snowflake in production."""
