{#- The query of the model-level column tests (not_null_columns,
    value_between_columns, accepted_values_columns): one scan of the model
    counting, per column, the rows where its condition holds; one failing row
    with every count when any is above zero.
    Arguments: conditions (column name -> SQL condition of an offending row),
    suffix (appended to the column name to name its count). -#}
{% macro offending_row_counts(model, conditions, suffix) %}
with

offending_counts as (
    select
        {%- for column, condition in conditions.items() %}
        sum(case when {{ condition }} then 1 else 0 end) as {{ column }}{{ suffix }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ model }}
)

select *
from offending_counts
where
    {%- for column in conditions %}
    {{ 'or ' if not loop.first }}{{ column }}{{ suffix }} > 0
    {%- endfor %}
{% endmacro %}
