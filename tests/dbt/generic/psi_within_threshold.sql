{#- psi_within_threshold: Population Stability Index of the column against a
    baseline, graded warn (>= warn_psi) or error (>= error_psi).
    Arguments: baseline (ref/source), baseline_column (default: same name),
    baseline_where (SQL filter on the baseline), bins (10), warn_psi / error_psi
    (default vars psi_warn_threshold 0.1, psi_error_threshold 0.2).
    The PSI and KS values are written to the dbt log with the column name.
    Example:
      - name: recency_days
        data_tests:
          - psi_within_threshold:
              arguments:
                baseline: ref('customer_training_snapshots')
                baseline_where: "snapshot_role = 'validation'" -#}
{% test psi_within_threshold(model, column_name, baseline, baseline_column=none, baseline_where=none,
                             bins=10, warn_psi=none, error_psi=none) %}
{%- set warn_psi = warn_psi if warn_psi is not none else var('psi_warn_threshold', 0.1) -%}
{%- set error_psi = error_psi if error_psi is not none else var('psi_error_threshold', 0.2) -%}
{%- if warn_psi > error_psi -%}
    {{ exceptions.raise_compiler_error(
        'psi_within_threshold on ' ~ column_name ~ ': warn_psi ' ~ warn_psi
        ~ ' is greater than error_psi ' ~ error_psi) }}
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
{%- set statistics_sql = drift_statistics(reference_sql, current_sql, bins) -%}
{%- if execute -%}
    {%- set row = run_query(statistics_sql).rows[0] -%}
    {{ log('drift ' ~ model.identifier ~ '.' ~ column_name ~ ': PSI ' ~ (row[0] | round(4))
           ~ ', KS ' ~ (row[1] | round(4)) ~ ' (warn >= ' ~ warn_psi ~ ', error >= ' ~ error_psi ~ ')',
           info=True) }}
{%- endif %}
with

statistics as (
    {{ statistics_sql | indent(4) }}
)

select
    '{{ column_name }}' as feature,
    psi,
    ks,
    case
        when psi >= {{ error_psi }} then 2
        when psi >= {{ warn_psi }} then 1
        else 0
    end as severity_level
from statistics
{% endtest %}
