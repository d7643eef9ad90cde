{#-
  Knobs of the churn models, read from the same environment variables as the Python side
  (scv_platform/settings.py: Settings.churn_horizon_days and ChurnSettings); when a variable
  is unset, the dbt var (dbt_project.yml, the same defaults as settings.py) applies. Each
  value is checked to be a whole number of at least `minimum` before it reaches SQL.
-#}
{% macro churn_setting(env_name, var_name, minimum=1) -%}
    {%- set raw = env_var(env_name, '') | trim -%}
    {%- set value = (raw if raw != '' else var(var_name)) | string | trim -%}
    {%- if not modules.re.fullmatch('[0-9]+', value) or (value | int) < minimum -%}
        {{ exceptions.raise_compiler_error(
            env_name ~ " must be a whole number of at least " ~ minimum ~ ", got "
            ~ (value | tojson)) }}
    {%- endif -%}
    {{ return(value | int) }}
{%- endmacro %}

{#- A customer has churned when nothing happens this many days after the cutoff. -#}
{% macro churn_horizon_days() -%}
    {{ return(churn_setting('SCV_CHURN_HORIZON_DAYS', 'churn_horizon_days')) }}
{%- endmacro %}

{#- Number of training cutoffs (the latest validates, the others train). -#}
{% macro churn_training_cutoffs() -%}
    {{ return(churn_setting('SCV_CHURN_TRAINING_CUTOFFS', 'churn_training_cutoffs')) }}
{%- endmacro %}

{#- Days between two training cutoffs. -#}
{% macro churn_cutoff_spacing_days() -%}
    {{ return(churn_setting('SCV_CHURN_CUTOFF_SPACING_DAYS', 'churn_cutoff_spacing_days')) }}
{%- endmacro %}

{#-
  Days between two moves of the training cutoffs (0: every day). They move together with
  the model's retraining cadence, so the model is kept while its training rows stay put.
-#}
{% macro churn_retrain_days() -%}
    {{ return(churn_setting('SCV_CHURN_RETRAIN_DAYS', 'churn_retrain_days', minimum=0)) }}
{%- endmacro %}
