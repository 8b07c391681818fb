{{ config(materialized='view') }}

with

transitions as (
    select
        from_segment_id,
        from_segment_name,
        to_segment_id,
        to_segment_name,
        moved_on
    from {{ ref('segment_transitions') }}
),

matrix as (
    select
        from_segment_name,
        to_segment_name,
        from_segment_id,
        to_segment_id,
        count(*) as customers,
        moved_on
    from transitions
    group by
        moved_on,
        from_segment_id,
        from_segment_name,
        to_segment_id,
        to_segment_name
)

select * from matrix
