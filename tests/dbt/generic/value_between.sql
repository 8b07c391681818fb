{#- value_between: every non-null value of the column lies in
    [min_value, max_value] (inclusive). Either bound may be omitted.
    Arguments: min_value, max_value (numbers; at least one).
    Example:
      - name: return_rate
        data_tests:
          - value_between:
              arguments: {min_value: 0, max_value: 1} -#}
{% test value_between(model, column_name, min_value=none, max_value=none) %}
{%- if min_value is none and max_value is none -%}
    {{ exceptions.raise_compiler_error(
        'value_between on ' ~ column_name ~ ': give min_value, max_value or both') }}
{%- endif -%}
{%- if min_value is not none and max_value is not none and min_value > max_value -%}
    {{ exceptions.raise_compiler_error(
        'value_between on ' ~ column_name ~ ': min_value ' ~ min_value
        ~ ' is greater than max_value ' ~ max_value) }}
{%- endif %}
select {{ column_name }}
from {{ model }}
where
    {{ column_name }} is not null
    and (
        false
        {%- if min_value is not none %}
        or {{ column_name }} < {{ min_value }}
        {%- endif %}
        {%- if max_value is not none %}
        or {{ column_name }} > {{ max_value }}
        {%- endif %}
    )
{% endtest %}
