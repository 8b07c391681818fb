{#- dbt.safe_cast is a plain cast on DuckDB (dbt-duckdb does not override
    dbt-core's default): one number ingest kept as unparseable (a price of
    `N/A`, counted by the unparseable_value rule) failed the whole build.
    try_cast gives null instead, as safe_cast promises; the project's
    dispatch config (dbt_project.yml) puts this before dbt-core's. -#}
{% macro duckdb__safe_cast(field, type) -%}
    try_cast({{ field }} as {{ type }})
{%- endmacro %}
