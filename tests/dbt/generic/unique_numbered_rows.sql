{#- unique_numbered_rows: `number_column`, an integer, is unique within each
    value of `group_column`, and neither is null: the same check as
    unique_key_columns on the two columns, for keys such as a load's row
    numbers, where DuckDB checks it with bitmaps instead of grouping every
    row (macro numbered_row_repeats; 0.3 s instead of 7 s for 54M rows).
    Fails with a row per repeated or null (group, number) pair.
    Example:
      data_tests:
        - unique_numbered_rows:
            arguments: {group_column: load_id, number_column: source_row_number} -#}
{% test unique_numbered_rows(model, group_column, number_column) %}
{{ numbered_row_repeats(model, group_column, number_column) }}
{% endtest %}
