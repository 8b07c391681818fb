{#- drift_statistics(reference_sql, current_sql, bins, epsilon): one row with
    `psi` and `ks` comparing two samples of a numeric `value` column.

    reference_sql / current_sql: select statements returning a column `value`.
    PSI: bins are the reference's quantiles (percentile_cont at 1/bins steps,
    rounded to 9 decimals, duplicates merged; bin = number of edges <= value), empty bins floored at
    epsilon; psi = sum((current - reference) * ln(current / reference)).
    KS: the largest gap between the two empirical CDFs.
    tests/python/integration/test_drift.py checks them against scipy's KS and
    a textbook PSI. -#}
{% macro drift_statistics(reference_sql, current_sql, bins=10, epsilon=0.0001) -%}
with

reference as (
    select cast(value as {{ type_double() }}) as value
    from ({{ reference_sql }}) as reference_rows
    where value is not null
),

current_values as (
    select cast(value as {{ type_double() }}) as value
    from ({{ current_sql }}) as current_rows
    where value is not null
),

quantile_edges as (
    {%- for step in range(1, bins) %}
    select percentile_cont({{ step / bins }}) within group (order by value) as edge
    from reference
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

edges as (
    select
        edge,
        row_number() over (order by edge) as edge_index
    -- Rounded: interpolation may differ in the last bit between engines, and a
    -- data value sitting exactly on an edge would then change bins.
    from (
        select distinct round(edge, 9) as edge
        from quantile_edges
        where edge is not null
    ) as distinct_edges
),

bins as (
    select
        edge_index as bin,
        lag(edge) over (order by edge_index) as lower_edge,
        edge as upper_edge
    from edges
    union all
    select
        coalesce(max(edge_index), 0) + 1 as bin,
        max(edge) as lower_edge,
        cast(null as {{ type_double() }}) as upper_edge
    from edges
),

samples as (
    select value, 1 as from_reference from reference
    union all
    select value, 0 as from_reference from current_values
),

bin_counts as (
    select
        bins.bin,
        sum(case when samples.from_reference = 1 then 1 else 0 end) as reference_rows,
        sum(case when samples.from_reference = 0 then 1 else 0 end) as current_rows
    from bins
    left join samples
        on (bins.lower_edge is null or samples.value >= bins.lower_edge)
        and (bins.upper_edge is null or samples.value < bins.upper_edge)
    group by bins.bin
),

shares as (
    select
        bin,
        greatest(
            cast(reference_rows as {{ type_double() }})
                / nullif((select count(*) from reference), 0),
            {{ epsilon }}
        ) as reference_share,
        greatest(
            cast(current_rows as {{ type_double() }})
                / nullif((select count(*) from current_values), 0),
            {{ epsilon }}
        ) as current_share
    from bin_counts
),

-- Null, not a huge number, when either sample is empty: nothing to compare.
psi as (
    select
        case
            when (select count(*) from reference) > 0
                and (select count(*) from current_values) > 0
                then sum(
                    (current_share - reference_share)
                    * {{ log_ratio('current_share', 'reference_share') }}
                )
        end as psi
    from shares
),

value_counts as (
    select
        value,
        sum(from_reference) as reference_rows,
        sum(1 - from_reference) as current_rows
    from samples
    group by value
),

cdfs as (
    select
        cast(sum(reference_rows) over (order by value) as {{ type_double() }})
            / nullif((select count(*) from reference), 0) as reference_cdf,
        cast(sum(current_rows) over (order by value) as {{ type_double() }})
            / nullif((select count(*) from current_values), 0) as current_cdf
    from value_counts
),

ks as (
    select max(abs(reference_cdf - current_cdf)) as ks
    from cdfs
)

select
    psi.psi,
    ks.ks
from psi
cross join ks
{%- endmacro %}

{#- drift_rows(comparisons, bins): one row per comparison, columns `feature`,
    `psi` and `ks`: drift_statistics of each (name, reference_sql,
    current_sql) in `comparisons`, named. -#}
{% macro drift_rows(comparisons, bins=10) -%}
{%- for name, reference_sql, current_sql in comparisons %}
select
    '{{ name }}' as feature,
    statistics.psi,
    statistics.ks
from (
    {{ drift_statistics(reference_sql, current_sql, bins) | indent(4) }}
) as statistics
{%- if not loop.last %}
union all
{%- endif %}
{%- endfor %}
{%- endmacro %}
