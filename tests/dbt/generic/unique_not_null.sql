{#- unique_not_null: the column is unique and never null (a primary key, or
    another key such as a name), in one query: dbt's `unique` and `not_null`
    are a node and a scan each (28 fewer tests in every build). Fails with a
    row per repeated or null key value.
    Example:
      - name: customer_id
        data_tests:
          - unique_not_null -#}
{% test unique_not_null(model, column_name) %}
{{ test_unique_key_columns(model, [column_name]) }}
{% endtest %}
