{#- count_distinct(column): the number of distinct non-null values of
    `column` in the group, as count(distinct column). -#}
{% macro count_distinct(column) -%}
    {{ return(adapter.dispatch('count_distinct')(column)) }}
{%- endmacro %}

{% macro default__count_distinct(column) -%}
    count(distinct {{ column }})
{%- endmacro %}

{#- DuckDB plans count(distinct) beside other aggregates as a second
    group-by over (group, value) joined back, with the input materialised
    first: for fct_orders at 100x, 39M lines in 38.7M (order, product) groups,
    24 s of CPU. Deduplicating each group's own list took 14 s. -#}
{% macro duckdb__count_distinct(column) -%}
    len(list_distinct(list({{ column }})))
{%- endmacro %}
