{#- 64-bit float: dbt.type_float() is 32-bit FLOAT on DuckDB, too coarse for
    drift statistics (values near a bin edge would change bins). -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro spark__type_double() -%}
    double
{%- endmacro %}

{#- A number known at compile time (or none) as a double literal. -#}
{% macro sql_double(value) -%}
    {%- if value is none -%}
        cast(null as {{ type_double() }})
    {%- else -%}
        cast({{ value }} as {{ type_double() }})
    {%- endif -%}
{%- endmacro %}
