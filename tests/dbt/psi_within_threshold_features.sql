{#- Feature drift: every feature in var drift_features, graded from this
    build's reporting.feature_drift (customer_features against the churn
    model's reference snapshot, ml.drift_reference_features) as the generic
    test psi_within_threshold_columns grades: warn at psi_warn_threshold,
    error at psi_error_threshold only under var feature_drift_severity error,
    at most warn in a build that trained its churn model, not graded while the
    reference has less history than drift_min_history_days. One row per
    feature; the test takes the worst grade and logs each PSI and KS.
    The statistics are the report's, not computed again, and the test runs
    after drift_report: a failure skips the publication, not the report. -#}
{{ config(fail_calc='coalesce(max(severity_level), 0)', warn_if='>=1', error_if='>=2') }}
-- depends_on: {{ ref('drift_report') }}
{%- set features = {} -%}
{%- for feature in var('drift_features') -%}
    {%- do features.update({feature: feature}) -%}
{%- endfor %}
{{ psi_grades(ref('customer_features'), features, none, none, 10, none, none, none, none, none,
              'feature_drift_severity', ref('retraining_plan'), "family = 'churn' and retrain",
              statistics_relation=ref('feature_drift')) }}
