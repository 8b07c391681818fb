-- Which load brought which problems: rows per load and cleaning outcome.
with

classified_lines as (
    select
        load_id,
        coalesce(exclusion_reason, 'kept') as outcome,
        line_amount
    from {{ ref('int_transaction_lines_classified') }}
),

by_load as (
    select
        load_id,
        outcome,
        count(*) as row_count,
        sum(line_amount) as amount
    from classified_lines
    group by load_id, outcome
)

select * from by_load
order by load_id, row_count desc
