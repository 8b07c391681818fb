{{ config(materialized='table') }}
{#- Feature drift of this build, what drift_report keeps and the test
    psi_within_threshold_features grades: computed once, and apart from
    drift_report so dbt computes it beside the ML models instead of at the
    end of the DAG, where drift_report waits for the scores. -#}
{%- set features = var('drift_features') -%}

with

reference_history as (
    select
        {{ dbt.datediff('min(first_ordered_at)', 'min(as_of_date)', 'day') }}
            as history_days
    from {{ ref('drift_reference_features') }}
),

{%- set comparisons = [] -%}
{%- for feature in features -%}
    {%- do comparisons.append((
        feature,
        'select ' ~ feature ~ ' as value from ' ~ ref('drift_reference_features'),
        'select ' ~ feature ~ ' as value from ' ~ ref('customer_features'))) -%}
{%- endfor %}
all_drift as (
    {{- drift_rows(comparisons) | indent(4) }}
),

feature_drift as (
    select
        all_drift.feature,
        all_drift.psi,
        all_drift.ks,
        reference_history.history_days as reference_history_days
    from all_drift
    cross join reference_history
)

select * from feature_drift
