{#- One 64-bit hash of several columns, equal for rows whose values are all
    equal (nulls included). Used to find candidate duplicates cheaply: rows
    with a hash seen once cannot be duplicates; rows sharing a hash are then
    compared column by column, so a collision costs time, never a wrong
    answer. -#}
{% macro row_hash(columns) -%}
    {{ return(adapter.dispatch('row_hash')(columns)) }}
{%- endmacro %}

{#- Adapters without a multi-column hash: md5 of the values as text, each
    marked null or not so that null and '' differ. -#}
{% macro default__row_hash(columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- do parts.append("coalesce('v' || " ~ dbt.safe_cast(column, dbt.type_string()) ~ ", 'n')") -%}
        {%- if not loop.last %}{% do parts.append("'|'") %}{% endif -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}

{% macro duckdb__row_hash(columns) -%}
    hash({{ columns | join(', ') }})
{%- endmacro %}

{% macro spark__row_hash(columns) -%}
    xxhash64({{ columns | join(', ') }})
{%- endmacro %}
