{{ config(
    materialized='incremental',
    unique_key=['as_of_date', 'check_name'],
    incremental_strategy='delete+insert',
    full_refresh=false,
) }}
{#- One row per drift check and build, kept across builds like segment history:
    feature drift against the snapshot the current churn model was refitted
    on, prediction drift against the previous build's scores, and the
    performance of matured scoring dates graded by this build.
    The reference features are computed here rather than read from
    ml.drift_reference_features: a failing drift test skips every model
    downstream of both its inputs, and the report must still be written. -#}
{%- set features = var('drift_features') -%}
{%- set predictions = ['churn_probability', 'predicted_ltv'] -%}
{%- set warn_psi = var('psi_warn_threshold') -%}
{%- set error_psi = var('psi_error_threshold') -%}
{%- set min_history_days = var('drift_min_history_days', 0) | int -%}

with

reference_features as (
    {{ customer_features_at('select ' ~ drift_reference_cutoff() ~ ' as cutoff_date') | indent(4) }}
),

{#- (name, reference, current) of every distribution compared. -#}
{%- set comparisons = [] -%}
{%- for feature in features -%}
    {%- do comparisons.append((
        feature,
        'select ' ~ feature ~ ' as value from reference_features',
        'select ' ~ feature ~ ' as value from ' ~ ref('customer_features'))) -%}
{%- endfor -%}
{%- for prediction in predictions -%}
    {%- do comparisons.append((
        prediction,
        'select ' ~ prediction ~ ' as value from ' ~ ref('score_history')
            ~ ' where as_of_date = ' ~ previous_scoring_date(),
        'select ' ~ prediction ~ ' as value from ' ~ ref('customer_scores'))) -%}
{%- endfor %}
{% for name, reference_sql, current_sql in comparisons -%}
drift_{{ name }} as (
    select
        '{{ name }}' as feature,
        statistics.psi,
        statistics.ks
    from (
        {{ drift_statistics(reference_sql, current_sql) | indent(8) }}
    ) as statistics
),

{% endfor -%}
{#- A model trained in this build: feature drift is measured against its
    own training snapshot, and its predictions against another model's, so
    both are information, not an alert. Features follow the churn model. #}
retraining as (
    select
        family,
        retrain
    from {{ ref('retraining_plan') }}
),

reference_history as (
    select
        {{ dbt.datediff('min(first_ordered_at)', 'min(as_of_date)', 'day') }}
            as history_days
    from reference_features
),

{#- kind: feature (against the model's reference) or prediction (against
    the previous build's scores). -#}
all_drift as (
    {%- for name, _, _ in comparisons %}
    select
        '{{ 'feature' if name in features else 'prediction' }}' as kind,
        feature,
        psi,
        ks
    from drift_{{ name }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
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
            when kind = 'feature' and reference_history.history_days < {{ min_history_days }}
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
    cross join reference_history
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
