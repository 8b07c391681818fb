{#- value_between_columns: every non-null value of each listed column lies in
    its [min_value, max_value] (inclusive; either bound may be omitted). One
    scan of the model for all of them, where value_between is a node and a
    scan per column. Fails with one row giving, per column, how many rows are
    out of its range.
    Arguments: ranges (column name -> {min_value, max_value}, at least one of
    the two per column).
    Example:
      data_tests:
        - value_between_columns:
            arguments:
              ranges:
                frequency: {min_value: 1}
                return_rate: {min_value: 0, max_value: 1} -#}
{% test value_between_columns(model, ranges) %}
{%- if ranges is not mapping or ranges | length == 0 -%}
    {{ exceptions.raise_compiler_error(
        'value_between_columns: `ranges` must map column names to {min_value, max_value}, got ' ~ ranges) }}
{%- endif -%}
{%- set conditions = {} -%}
{%- for column, bounds in ranges.items() -%}
    {%- set min_value = bounds.get('min_value') if bounds is mapping else none -%}
    {%- set max_value = bounds.get('max_value') if bounds is mapping else none -%}
    {%- if min_value is none and max_value is none -%}
        {{ exceptions.raise_compiler_error(
            'value_between on ' ~ column ~ ': give min_value, max_value or both') }}
    {%- endif -%}
    {%- if min_value is not none and max_value is not none and min_value > max_value -%}
        {{ exceptions.raise_compiler_error(
            'value_between on ' ~ column ~ ': min_value ' ~ min_value
            ~ ' is greater than max_value ' ~ max_value) }}
    {%- endif -%}
    {%- set outside = [] -%}
    {%- if min_value is not none %}{% do outside.append(column ~ ' < ' ~ min_value) %}{% endif -%}
    {%- if max_value is not none %}{% do outside.append(column ~ ' > ' ~ max_value) %}{% endif -%}
    {%- do conditions.update({column: column ~ ' is not null and (' ~ outside | join(' or ') ~ ')'}) -%}
{%- endfor %}
{{ offending_row_counts(model, conditions, '_out_of_range') }}
{% endtest %}
