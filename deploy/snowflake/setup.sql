-- One-time setup of the SCV platform on a Snowflake account (README, "Production").
-- Run as ACCOUNTADMIN. The names are the defaults of the SNOWFLAKE_* / SCV_* variables;
-- change them here and in the environment together.

-- Roles: the platform's service role, and the two roles that read the masked share views.
USE ROLE SECURITYADMIN;
CREATE ROLE IF NOT EXISTS SCV_TRANSFORMER
    COMMENT = 'SCV platform: loads bronze, builds silver and gold (Dagster, dbt)';
CREATE ROLE IF NOT EXISTS SCV_ANALYST
    COMMENT = 'Reads the share schema: gold with PII masked';
CREATE ROLE IF NOT EXISTS SCV_SHARE_READER
    COMMENT = 'Consumers in this account that may only see masked data';
GRANT ROLE SCV_TRANSFORMER TO ROLE SYSADMIN;
GRANT ROLE SCV_ANALYST TO ROLE SYSADMIN;
GRANT ROLE SCV_SHARE_READER TO ROLE SYSADMIN;

-- The service user (key-pair authentication: SNOWFLAKE_PRIVATE_KEY_PATH).
CREATE USER IF NOT EXISTS SCV_SERVICE
    TYPE = SERVICE
    DEFAULT_ROLE = SCV_TRANSFORMER
    DEFAULT_WAREHOUSE = SCV_WH
    RSA_PUBLIC_KEY = '<contents of rsa_key.pub without the BEGIN/END lines>';
GRANT ROLE SCV_TRANSFORMER TO USER SCV_SERVICE;

-- Compute and storage.
USE ROLE SYSADMIN;
CREATE WAREHOUSE IF NOT EXISTS SCV_WH
    WAREHOUSE_SIZE = SMALL AUTO_SUSPEND = 60 AUTO_RESUME = TRUE INITIALLY_SUSPENDED = TRUE;
GRANT USAGE, OPERATE ON WAREHOUSE SCV_WH TO ROLE SCV_TRANSFORMER;
GRANT USAGE ON WAREHOUSE SCV_WH TO ROLE SCV_ANALYST;
GRANT USAGE ON WAREHOUSE SCV_WH TO ROLE SCV_SHARE_READER;
CREATE DATABASE IF NOT EXISTS SCV;
GRANT OWNERSHIP ON DATABASE SCV TO ROLE SCV_TRANSFORMER COPY CURRENT GRANTS;

-- Weather: get the Weather Source "OnPoint" listing (FROSTBYTE) from the Marketplace as
-- database WEATHER_SOURCE_LLC_FROSTBYTE, then let the platform read it.
USE ROLE ACCOUNTADMIN;
GRANT IMPORTED PRIVILEGES ON DATABASE WEATHER_SOURCE_LLC_FROSTBYTE TO ROLE SCV_TRANSFORMER;

-- The platform publishes the customer share (dbt run-operation create_customer_share).
GRANT CREATE SHARE ON ACCOUNT TO ROLE SCV_TRANSFORMER;
