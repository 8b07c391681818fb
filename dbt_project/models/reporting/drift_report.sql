{{ config(
    materialized='incremental',
    unique_key=['as_of_date', 'check_name'],
    incremental_strategy='delete+insert',
    full_refresh=false,
) }}
{#- One row per drift check and build, kept across builds like segment history.
    Reference: ml.drift_reference_features, the snapshot the current churn model was refitted on. -#}
{%- set features = var('drift_features') -%}
{%- set warn_psi = var('psi_warn_threshold') -%}
{%- set error_psi = var('psi_error_threshold') -%}
{%- set min_history_days = var('drift_min_history_days', 0) | int -%}

with

{% for feature in features -%}
{%- set reference_sql -%}
    select {{ feature }} as value
    from {{ ref('drift_reference_features') }}
{%- endset -%}
{%- set current_sql -%}
    select {{ feature }} as value from {{ ref('customer_features') }}
{%- endset -%}
drift_{{ feature }} as (
    select
        '{{ feature }}' as feature,
        statistics.psi,
        statistics.ks
    from (
        {{ drift_statistics(reference_sql, current_sql) | indent(8) }}
    ) as statistics
),

{% endfor -%}
reference_history as (
    select
        {{ dbt.datediff('min(first_ordered_at)', 'min(as_of_date)', 'day') }}
            as history_days
    from {{ ref('drift_reference_features') }}
),

feature_drift as (
    {%- for feature in features %}
    select feature, psi, ks from drift_{{ feature }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

checks as (
    select
        {{ dbt.concat(["'feature_psi:'", 'feature']) }} as check_name,
        feature,
        'psi' as statistic,
        psi as value,
        {{ warn_psi }} as warn_threshold,
        {{ error_psi }} as error_threshold,
        case
            when reference_history.history_days < {{ min_history_days }}
                then 'not_graded'
            when psi >= {{ error_psi }} then 'error'
            when psi >= {{ warn_psi }} then 'warn'
            else 'ok'
        end as status
    from feature_drift
    cross join reference_history
    union all
    select
        {{ dbt.concat(["'feature_ks:'", 'feature']) }} as check_name,
        feature,
        'ks' as statistic,
        ks as value,
        cast(null as {{ type_double() }}) as warn_threshold,
        cast(null as {{ type_double() }}) as error_threshold,
        'info' as status
    from feature_drift
),

report as (
    select
        check_name,
        feature,
        statistic,
        status,
        value,
        warn_threshold,
        error_threshold,
        {{ as_of_date() }} as as_of_date
    from checks
)

select * from report
