{#- psi_within_threshold: Population Stability Index of the column against a
    baseline, graded warn (>= warn_psi) or error (>= error_psi).
    Arguments: baseline (ref/source), baseline_column (default: same name),
    baseline_where (SQL filter on the baseline; an empty baseline is not graded), bins (10), warn_psi / error_psi
    (default vars psi_warn_threshold 0.1, psi_error_threshold 0.2),
    min_history_days (default var drift_min_history_days, else 0): when the
    baseline's cutoff (cutoff_column, as_of_date) is fewer days after its
    earliest order (history_start_column, first_ordered_at) than this, the
    feature is not graded: its baseline values are censored by the data start.
    Grading at most warn: max_severity_var names a var holding 'warn' or
    'error' (the highest grade; default error); warn_only_relation with
    warn_only_where caps the grade at warn whenever that relation has a row
    matching the filter (e.g. the model was trained in this very build, so its
    reference is its own training snapshot).
    The PSI and KS values are written to the dbt log with the column name.
    Several columns of one model against one baseline: psi_within_threshold_columns.
    Example:
      - name: recency_days
        data_tests:
          - psi_within_threshold:
              arguments:
                baseline: ref('drift_reference_features')
                max_severity_var: feature_drift_severity
                warn_only_relation: ref('retraining_plan')
                warn_only_where: "family = 'churn' and retrain" -#}
{% test psi_within_threshold(model, column_name, baseline, baseline_column=none, baseline_where=none,
                             bins=10, warn_psi=none, error_psi=none, min_history_days=none,
                             cutoff_column='as_of_date', history_start_column='first_ordered_at',
                             max_severity_var=none, warn_only_relation=none, warn_only_where='true') %}
{{ config(fail_calc='coalesce(max(severity_level), 0)', warn_if='>=1', error_if='>=2') }}
{{ psi_grades(model, {column_name: baseline_column or column_name}, baseline, baseline_where, bins, warn_psi,
              error_psi, min_history_days, cutoff_column, history_start_column, max_severity_var,
              warn_only_relation, warn_only_where) }}
{% endtest %}
