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
{%- set conditions = {} -%}
{%- for column, accepted in values.items() -%}
    {%- if accepted is string or accepted is mapping or accepted | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            'accepted_values_columns on ' ~ column ~ ': give a non-empty list of values, got ' ~ accepted) }}
    {%- endif -%}
    {%- set quoted = [] -%}
    {%- for value in accepted %}{% do quoted.append("'" ~ (value | string | replace("'", "''")) ~ "'") %}{% endfor -%}
    {%- do conditions.update({column: column ~ ' is not null and ' ~ column ~ ' not in (' ~ quoted | join(', ') ~ ')'}) -%}
{%- endfor %}
{{ offending_row_counts(model, conditions, '_other_values') }}
{% endtest %}
