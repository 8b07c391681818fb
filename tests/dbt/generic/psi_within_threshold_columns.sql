{#- psi_within_threshold_columns: psi_within_threshold on several columns of
    the model against one baseline (each column under the same name there), in
    one test: one row per column, the test's grade the worst of them. The
    arguments other than `columns` are psi_within_threshold's; each column's
    PSI and KS are written to the dbt log with its name.
    Example:
      data_tests:
        - psi_within_threshold_columns:
            arguments:
              columns: [frequency, monetary, recency_days]
              baseline: ref('drift_reference_features')
              max_severity_var: feature_drift_severity -#}
{% test psi_within_threshold_columns(model, columns, baseline, baseline_where=none, bins=10, warn_psi=none,
                                     error_psi=none, min_history_days=none, cutoff_column='as_of_date',
                                     history_start_column='first_ordered_at', max_severity_var=none,
                                     warn_only_relation=none, warn_only_where='true') %}
{%- if columns is string or columns is none or columns | length == 0 -%}
    {{ exceptions.raise_compiler_error(
        'psi_within_threshold_columns: `columns` must be a non-empty list, got ' ~ columns) }}
{%- endif %}
{{ config(fail_calc='coalesce(max(severity_level), 0)', warn_if='>=1', error_if='>=2') }}
{%- set same_names = {} -%}
{%- for column in columns -%}
    {%- do same_names.update({column: column}) -%}
{%- endfor %}
{{ psi_grades(model, same_names, baseline, baseline_where, bins, warn_psi, error_psi, min_history_days,
              cutoff_column, history_start_column, max_severity_var, warn_only_relation, warn_only_where) }}
{% endtest %}
