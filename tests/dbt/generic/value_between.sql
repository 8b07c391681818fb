{#- value_between: every non-null value of the column lies in
    [min_value, max_value] (inclusive). Either bound may be omitted.
    Arguments: min_value, max_value (numbers; at least one).
    Several columns of one model: value_between_columns (one scan for all).
    Example:
      - name: return_rate
        data_tests:
          - value_between:
              arguments: {min_value: 0, max_value: 1} -#}
{% test value_between(model, column_name, min_value=none, max_value=none) %}
{{ test_value_between_columns(model, {column_name: {'min_value': min_value, 'max_value': max_value}}) }}
{% endtest %}
