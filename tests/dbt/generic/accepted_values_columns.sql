{#- accepted_values_columns: each listed column holds only its accepted values
    (nulls pass, as with dbt's accepted_values). One scan of the model for all
    of them, where accepted_values is a node and a scan per column. Fails with
    one row giving, per column, how many rows hold another value.
    Arguments: values (column name -> list of accepted text values).
    Example:
      data_tests:
        - accepted_values_columns:
            arguments:
              values:
                lifecycle_stage: [new, active, lapsed]
                risk_tier: [low, medium, high] -#}
{% test accepted_values_columns(model, values) %}
{%- if values is not mapping or values | length == 0 -%}
    {{ exceptions.raise_compiler_error(
        'accepted_values_columns: `values` must map column names to lists of values, got ' ~ values) }}
{%- endif -%}
{%- for column, accepted in values.items() -%}
    {%- if accepted is string or accepted is mapping or accepted | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            'accepted_values_columns on ' ~ column ~ ': give a non-empty list of values, got ' ~ accepted) }}
    {%- endif -%}
{%- endfor %}
with

other_value_counts as (
    select
        {%- for column, accepted in values.items() %}
        sum(case
            when {{ column }} is null then 0
            when {{ column }} in (
                {%- for value in accepted -%}
                '{{ value | string | replace("'", "''") }}'{{ ', ' if not loop.last }}
                {%- endfor -%}
            ) then 0
            else 1
        end) as {{ column }}_other_values{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ model }}
)

select *
from other_value_counts
where
    {%- for column in values %}
    {{ 'or ' if not loop.first }}{{ column }}_other_values > 0
    {%- endfor %}
{% endtest %}
