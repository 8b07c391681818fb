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

{% for feature in features -%}
drift_{{ feature }} as (
    select
        '{{ feature }}' as feature,
        statistics.psi,
        statistics.ks
    from (
        {{ drift_statistics(
            'select ' ~ feature ~ ' as value from ' ~ ref('drift_reference_features'),
            'select ' ~ feature ~ ' as value from ' ~ ref('customer_features')) | indent(8) }}
    ) as statistics
),

{% endfor -%}
all_drift as (
    {%- for feature in features %}
    select
        feature,
        psi,
        ks
    from drift_{{ feature }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
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
