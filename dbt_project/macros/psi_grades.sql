{#- The query of the drift tests psi_within_threshold (one column),
    psi_within_threshold_columns (several) and psi_within_threshold_features
    (tests/dbt): one row per graded column with its PSI, KS, the baseline's
    history in days and severity_level (0 ok, 1 warn, 2 error). `columns` maps
    each column of the model to its column in the baseline; the other
    arguments are psi_within_threshold's. At run time every column's
    statistics come from one query, are logged, and are graded as literals:
    computing them again in the test query took half of each feature test,
    and a query (and a dbt node) per feature cost about 60 ms each in every
    build. `statistics_relation`, when given, already holds them (columns
    feature, psi, ks, reference_history_days; one row per column, as in
    reporting.feature_drift): they are read from it, and `baseline`,
    `baseline_where`, `bins` and the history columns are not used. -#}
{% macro psi_grades(model, columns, baseline, baseline_where, bins, warn_psi, error_psi, min_history_days,
                    cutoff_column, history_start_column, max_severity_var, warn_only_relation,
                    warn_only_where, statistics_relation=none) %}
{%- set described = 'psi_within_threshold on ' ~ (columns | join(', ')) -%}
{%- set warn_psi = warn_psi if warn_psi is not none else var('psi_warn_threshold', 0.1) -%}
{%- set error_psi = error_psi if error_psi is not none else var('psi_error_threshold', 0.2) -%}
{%- if warn_psi > error_psi -%}
    {{ exceptions.raise_compiler_error(
        described ~ ': warn_psi ' ~ warn_psi ~ ' is greater than error_psi ' ~ error_psi) }}
{%- endif -%}
{%- set max_severity = var(max_severity_var, 'error') if max_severity_var else 'error' -%}
{%- if max_severity not in ('warn', 'error') -%}
    {{ exceptions.raise_compiler_error(
        described ~ ': var ' ~ max_severity_var ~ " must be 'warn' or 'error', got '" ~ max_severity ~ "'") }}
{%- endif -%}
{%- if bins < 2 -%}
    {{ exceptions.raise_compiler_error(described ~ ': bins must be >= 2') }}
{%- endif -%}
{%- set comparisons = [] -%}
{%- for column, baseline_column in (columns.items() if statistics_relation is none else []) -%}
    {%- set reference_sql -%}
        select {{ baseline_column }} as value from {{ baseline }}
        {%- if baseline_where %} where {{ baseline_where }}{% endif %}
    {%- endset -%}
    {%- do comparisons.append((column, reference_sql, 'select ' ~ column ~ ' as value from ' ~ model)) -%}
{%- endfor -%}
{%- set statistics_sql = drift_rows(comparisons, bins) if statistics_relation is none else
    'select feature, psi, ks from ' ~ statistics_relation
    ~ " where feature in ('" ~ (columns | list | join("', '")) ~ "')" -%}
{%- set min_history_days = (min_history_days if min_history_days is not none
    else var('drift_min_history_days', 0)) | int -%}
{%- set history_sql -%}
    {%- if statistics_relation is none %}
    select {{ dbt.datediff('min(' ~ history_start_column ~ ')', 'min(' ~ cutoff_column ~ ')', 'day') }}
        as history_days
    from {{ baseline }}
    {%- if baseline_where %} where {{ baseline_where }}{% endif %}
    {%- else %}
    select max(reference_history_days) as history_days
    from {{ statistics_relation }}
    {%- endif %}
{%- endset -%}
{%- set warn_only_sql -%}
    select {{ 'true' if max_severity == 'warn' else 'false' }}
    {%- if warn_only_relation is not none %}
        or exists (select 1 from {{ warn_only_relation }} where {{ warn_only_where }})
    {%- endif %} as is_warn_only
{%- endset -%}
{%- if execute -%}
    {%- set statistics = {} -%}
    {%- for row in run_query(statistics_sql).rows -%}
        {%- do statistics.update({row[0]: (row[1], row[2])}) -%}
    {%- endfor -%}
    {%- set history_days = run_query(history_sql).rows[0][0] if min_history_days > 0 else none -%}
    {%- set warn_only = run_query(warn_only_sql).rows[0][0] -%}
    {%- set verdict = ' not graded: the baseline has ' ~ history_days ~ ' days of history, '
        ~ 'drift needs ' ~ min_history_days
        if history_days is not none and history_days < min_history_days
        else (' graded at most warn' if warn_only else '') -%}
    {%- set literal_parts = [] -%}
    {%- for column in columns -%}
        {%- if column not in statistics -%}
            {{ exceptions.raise_compiler_error(
                described ~ ': ' ~ statistics_relation ~ ' has no row for feature ' ~ column) }}
        {%- endif -%}
        {%- set psi, ks = statistics[column] -%}
        {%- if psi is none -%}
            {{ log('drift ' ~ model.identifier ~ '.' ~ column ~ ': not graded, the baseline is empty', info=True) }}
        {%- else -%}
            {{ log('drift ' ~ model.identifier ~ '.' ~ column ~ ': PSI ' ~ (psi | round(4))
                   ~ ', KS ' ~ (ks | round(4)) ~ ' (warn >= ' ~ warn_psi ~ ', error >= ' ~ error_psi ~ ')'
                   ~ verdict, info=True) }}
        {%- endif -%}
        {%- do literal_parts.append("select '" ~ column ~ "' as feature, " ~ sql_double(psi) ~ ' as psi, '
            ~ sql_double(ks) ~ ' as ks') -%}
    {%- endfor -%}
    {%- set statistics_sql = literal_parts | join('\n    union all\n    ') -%}
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
    statistics.feature,
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
{% endmacro %}
