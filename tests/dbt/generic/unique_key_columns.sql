{#- unique_key_columns: the combination of `columns` is unique and none of them
    is null (a composite primary key).
    Arguments: columns (list of column names, at least one); nullable
    (optional: those of them that may be null, a null then being one key value).
    Example:
      data_tests:
        - unique_key_columns:
            arguments: {columns: [customer_id, as_of_date]} -#}
{% test unique_key_columns(model, columns, nullable=[]) %}
{%- if columns is string or columns is none or columns | length == 0 -%}
    {{ exceptions.raise_compiler_error(
        'unique_key_columns: `columns` must be a non-empty list, got ' ~ columns) }}
{%- endif %}
with

key_counts as (
    select
        {{ columns | join(', ') }},
        count(*) as row_count
    from {{ model }}
    group by {{ columns | join(', ') }}
)

select *
from key_counts
where
    row_count > 1
    {%- for column in columns if column not in nullable %}
    or {{ column }} is null
    {%- endfor %}
{% endtest %}
