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
{%- set warn_psi = warn_psi if warn_psi is not none else var('psi_warn_threshold', 0.1) -%}
{%- set error_psi = error_psi if error_psi is not none else var('psi_error_threshold', 0.2) -%}
{%- if warn_psi > error_psi -%}
    {{ exceptions.raise_compiler_error(
        'psi_within_threshold on ' ~ column_name ~ ': warn_psi ' ~ warn_psi
        ~ ' is greater than error_psi ' ~ error_psi) }}
{%- endif -%}
{%- set max_severity = var(max_severity_var, 'error') if max_severity_var else 'error' -%}
{%- if max_severity not in ('warn', 'error') -%}
    {{ exceptions.raise_compiler_error(
        'psi_within_threshold on ' ~ column_name ~ ': var ' ~ max_severity_var ~ " must be 'warn' or 'error', got '"
        ~ max_severity ~ "'") }}
{%- endif -%}
{%- if bins < 2 -%}
    {{ exceptions.raise_compiler_error('psi_within_threshold on ' ~ column_name ~ ': bins must be >= 2') }}
{%- endif -%}
{{ config(fail_calc='coalesce(max(severity_level), 0)', warn_if='>=1', error_if='>=2') }}
{%- set reference_sql -%}
    select {{ baseline_column or column_name }} as value from {{ baseline }}
    {%- if baseline_where %} where {{ baseline_where }}{% endif %}
{%- endset -%}
{%- set current_sql -%}
    select {{ column_name }} as value from {{ model }}
{%- endset -%}
{%- set min_history_days = (min_history_days if min_history_days is not none
    else var('drift_min_history_days', 0)) | int -%}
{%- set statistics_sql = drift_statistics(reference_sql, current_sql, bins) -%}
{%- set history_sql -%}
    select {{ dbt.datediff('min(' ~ history_start_column ~ ')', 'min(' ~ cutoff_column ~ ')', 'day') }}
        as history_days
    from {{ baseline }}
    {%- if baseline_where %} where {{ baseline_where }}{% endif %}
{%- endset -%}
{%- set warn_only_sql -%}
    select {{ 'true' if max_severity == 'warn' else 'false' }}
    {%- if warn_only_relation is not none %}
        or exists (select 1 from {{ warn_only_relation }} where {{ warn_only_where }})
    {%- endif %} as is_warn_only
{%- endset -%}
{#- At run time the statistics are computed once, logged, and graded as
    literals: computing them again in the test query took half of each of
    the twenty feature tests that run before churn scoring. -#}
{%- if execute -%}
    {%- set row = run_query(statistics_sql).rows[0] -%}
    {%- set history_days = run_query(history_sql).rows[0][0] if min_history_days > 0 else none -%}
    {%- set warn_only = run_query(warn_only_sql).rows[0][0] -%}
    {%- set verdict = ' not graded: the baseline has ' ~ history_days ~ ' days of history, '
        ~ 'drift needs ' ~ min_history_days
        if history_days is not none and history_days < min_history_days
        else (' graded at most warn' if warn_only else '') -%}
    {%- if row[0] is none -%}
        {{ log('drift ' ~ model.identifier ~ '.' ~ column_name ~ ': not graded, the baseline is empty', info=True) }}
    {%- else -%}
        {{ log('drift ' ~ model.identifier ~ '.' ~ column_name ~ ': PSI ' ~ (row[0] | round(4))
               ~ ', KS ' ~ (row[1] | round(4)) ~ ' (warn >= ' ~ warn_psi ~ ', error >= ' ~ error_psi ~ ')'
               ~ verdict, info=True) }}
    {%- endif -%}
    {%- set statistics_sql = 'select ' ~ sql_double(row[0]) ~ ' as psi, ' ~ sql_double(row[1]) ~ ' as ks' -%}
    {%- set warn_only_sql = 'select ' ~ ('true' if warn_only else 'false') ~ ' as is_warn_only' -%}
    {%- if min_history_days > 0 -%}
        {%- set history_sql = 'select ' ~ (history_days if history_days is not none else 'cast(null as integer)')
            ~ ' as history_days' -%}
    {%- endif -%}
{%- endif %}
with

statistics as (
    {{ statistics_sql | indent(4) }}
),

warn_only as (
    {{ warn_only_sql | indent(4) }}
),

history as (
    {%- if min_history_days > 0 %}
    {{ history_sql | indent(4) }}
    {%- else %}
    select cast(null as integer) as history_days
    {%- endif %}
)

select
    '{{ column_name }}' as feature,
    statistics.psi,
    statistics.ks,
    history.history_days,
    case
        when history.history_days < {{ min_history_days }} then 0
        when statistics.psi >= {{ error_psi }} and not warn_only.is_warn_only then 2
        when statistics.psi >= {{ warn_psi }} then 1
        else 0
    end as severity_level
from statistics
cross join history
cross join warn_only
{% endtest %}
