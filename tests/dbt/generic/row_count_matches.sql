{#- row_count_matches: the model has exactly as many rows as compare_model
    (e.g. a staging view against its source: nothing dropped or fanned out).
    Arguments: compare_model (a ref() or source()); compare_where (optional: a
    condition on compare_model, the counterpart of the test's `where` config,
    e.g. both restricted to the untested loads of macro tested_loads.sql).
    Example:
      data_tests:
        - row_count_matches:
            arguments: {compare_model: source('retail', 'transactions')} -#}
{% test row_count_matches(model, compare_model, compare_where=none) %}
{%- if compare_model is none -%}
    {{ exceptions.raise_compiler_error('row_count_matches: compare_model is required') }}
{%- endif %}
with

model_rows as (
    select count(*) as row_count from {{ model }}
),

compare_rows as (
    select count(*) as row_count
    from {{ compare_model }}
    {%- if compare_where %}
    where {{ with_tested_loads(compare_where) }}
    {%- endif %}
)

select
    model_rows.row_count as model_row_count,
    compare_rows.row_count as compare_row_count
from model_rows
cross join compare_rows
where model_rows.row_count <> compare_rows.row_count
{% endtest %}
