{{ config(
    materialized='incremental',
    unique_key=['as_of_date', 'check_name'],
    incremental_strategy='delete+insert',
    full_refresh=false,
) }}
{#- One row per drift check and build, kept across builds like segment history:
    feature drift against the snapshot the current churn model was refitted
    on (reporting.feature_drift), prediction drift against the previous
    build's scores, and the performance of matured scoring dates graded by
    this build. -#}
{%- set predictions = ['churn_probability', 'predicted_ltv'] -%}
{%- set warn_psi = var('psi_warn_threshold') -%}
{%- set error_psi = var('psi_error_threshold') -%}
{%- set min_history_days = var('drift_min_history_days', 0) | int -%}

with

feature_drift as (
    select
        feature,
        psi,
        ks,
        reference_history_days
    from {{ ref('feature_drift') }}
),

{%- set comparisons = [] -%}
{%- for prediction in predictions -%}
    {%- do comparisons.append((
        prediction,
        'select ' ~ prediction ~ ' as value from ' ~ ref('score_history')
            ~ ' where as_of_date = ' ~ previous_scoring_date(),
        'select ' ~ prediction ~ ' as value from ' ~ ref('customer_scores'))) -%}
{%- endfor %}
prediction_drift as (
    {{- drift_rows(comparisons) | indent(4) }}
),

{#- A model trained in this build: feature drift is measured against its
    own training snapshot, and its predictions against another model's, so
    both are information, not an alert. Features follow the churn model. #}
retraining as (
    select
        family,
        retrain
    from {{ ref('retraining_plan') }}
),

{#- kind: feature (against the model's reference) or prediction (against
    the previous build's scores). -#}
all_drift as (
    select
        'feature' as kind,
        feature,
        psi,
        ks,
        reference_history_days
    from feature_drift
    union all
    select
        'prediction' as kind,
        feature,
        psi,
        ks,
        cast(null as {{ dbt.type_int() }}) as reference_history_days
    from prediction_drift
),

performance as (
    select
        scored_as_of_date,
        realised_roc_auc,
        min_roc_auc,
        status
    from {{ ref('model_performance') }}
    where evaluated_as_of_date = {{ as_of_date() }}
),

checks as (
    -- Features are not graded while the reference has too little history;
    -- predictions are not reported before there is a previous build.
    select
        {{ dbt.concat(['kind', "'_psi:'", 'feature']) }} as check_name,
        feature,
        'psi' as statistic,
        psi as value,
        {{ warn_psi }} as warn_threshold,
        {{ error_psi }} as error_threshold,
        {#- As the psi_within_threshold tests grade: features at most warn
            unless var feature_drift_severity is error, nothing above warn
            for a model trained in this build. #}
        case
            when kind = 'feature' and reference_history_days < {{ min_history_days }}
                then 'not_graded'
            when psi >= {{ warn_psi }} and retraining.retrain
                then 'info'
            when psi >= {{ error_psi }}
                and (kind = 'prediction' or '{{ var('feature_drift_severity') }}' = 'error')
                then 'error'
            when psi >= {{ warn_psi }} then 'warn'
            else 'ok'
        end as status
    from all_drift
    left join retraining
        on retraining.family = case when feature = 'predicted_ltv' then 'ltv' else 'churn' end
    where kind = 'feature' or {{ previous_scoring_date() }} is not null
    union all
    select
        {{ dbt.concat(["'feature_ks:'", 'feature']) }} as check_name,
        feature,
        'ks' as statistic,
        ks as value,
        cast(null as {{ type_double() }}) as warn_threshold,
        cast(null as {{ type_double() }}) as error_threshold,
        'info' as status
    from all_drift
    where kind = 'feature'
    union all
    select
        {{ dbt.concat(["'performance_roc_auc:'", dbt.safe_cast('scored_as_of_date', dbt.type_string())]) }}
            as check_name,
        'churn_probability' as feature,
        'roc_auc' as statistic,
        realised_roc_auc as value,
        cast(null as {{ type_double() }}) as warn_threshold,
        min_roc_auc as error_threshold,
        status
    from performance
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
