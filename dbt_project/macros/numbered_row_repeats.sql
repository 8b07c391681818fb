{#- The query of the generic test unique_numbered_rows: the (group, number)
    pairs that occur more than once, and the rows where either is null, each
    with its row count. -#}
{% macro numbered_row_repeats(model, group_column, number_column) -%}
    {{ return(adapter.dispatch('numbered_row_repeats')(model, group_column, number_column)) }}
{%- endmacro %}

{% macro default__numbered_row_repeats(model, group_column, number_column) -%}
{{ test_unique_key_columns(model, [group_column, number_column]) }}
{%- endmacro %}

{#- Grouping 54M distinct (load, row number) pairs took 7-9 s per test at
    100x. Instead each group's numbers are cut into blocks of 2^20 and a
    block's numbers set bits in a 128 KB bitmap (bitstring_agg): the bitmap
    has fewer bits set than the block has rows exactly when a number repeats,
    about 0.3 s. Only the blocks with a repeat are grouped row by row, to
    name the repeated pairs. Shifts and masks keep negative numbers exact. -#}
{% macro duckdb__numbered_row_repeats(model, group_column, number_column) -%}
{%- set block = number_column ~ ' >> 20' %}
with

blocks as (
    select
        {{ group_column }} as group_value,
        {{ block }} as block,
        count(*) as row_count,
        bit_count(bitstring_agg({{ number_column }} & 1048575, 0, 1048575)) as distinct_numbers
    from {{ model }}
    where {{ group_column }} is not null
        and {{ number_column }} is not null
    group by {{ group_column }}, {{ block }}
),

blocks_with_repeats as (
    select
        group_value,
        block
    from blocks
    where row_count > distinct_numbers
),

repeated as (
    {#- Unqualified: `model` may be a subquery with its own alias (a test's where config). #}
    select
        {{ group_column }},
        {{ number_column }},
        count(*) as row_count
    from {{ model }}
    inner join blocks_with_repeats
        on {{ group_column }} = blocks_with_repeats.group_value
        and {{ block }} = blocks_with_repeats.block
    group by {{ group_column }}, {{ number_column }}
    having count(*) > 1
),

null_keys as (
    select
        {{ group_column }},
        {{ number_column }},
        count(*) as row_count
    from {{ model }}
    where {{ group_column }} is null
        or {{ number_column }} is null
    group by {{ group_column }}, {{ number_column }}
)

select * from repeated
union all
select * from null_keys
{%- endmacro %}
