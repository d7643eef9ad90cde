{{ config(
    pre_hook=[
        "create schema if not exists {{ source('gold', 'churn_predictions').include(identifier=false) }}",
        "create table if not exists {{ source('gold', 'churn_predictions') }} (
            scv_customer_id {{ dbt.type_string() }},
            churn_probability {{ dbt.type_float() }},
            risk_band {{ dbt.type_string() }},
            model_version {{ dbt.type_string() }},
            scored_at {{ dbt.type_timestamp() }}
        )"
    ]
) }}
-- The churn scores written by the Python asset gold/churn_predictions, as the customer 360
-- profile reads them. The pre-hook creates an EMPTY table only when the model has never
-- scored (a dbt-only build then still passes, with no scores); the Python asset replaces it.

select
    scv_customer_id,
    churn_probability,
    risk_band,
    model_version,
    scored_at
from {{ source('gold', 'churn_predictions') }}
where scv_customer_id is not null
