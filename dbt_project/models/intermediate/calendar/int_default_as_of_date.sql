{{ config(materialized='table') }}
{#- Computed once per build and read by macro as_of_date() when the var is not
    set: every model and every training cutoff used to repeat this scan of the
    classified lines as a scalar subquery (a dozen times in the training
    snapshots alone; on Spark each one is a job of its own). A table, so the
    scan happens once. -#}
with

classified_lines as (
    select
        ordered_at,
        exclusion_reason
    from {{ ref('int_transaction_lines_classified') }}
)

select cast({{ dbt.dateadd('day', 1, 'max(ordered_at)') }} as date) as as_of_date
from classified_lines
where coalesce(exclusion_reason, '') <> 'future_dated'
