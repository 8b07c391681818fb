-- Moves between segments over every recorded build, by the segment names at
-- the time of the move. Evidence 39 cannot read an empty source, so before
-- the first move this returns one row of nulls (pages filter it out).
with

transitions as (
    select
        from_segment_name,
        to_segment_name,
        sum(customers) as customers,
        min(moved_on) as first_moved_on,
        max(moved_on) as last_moved_on
    from reporting.segment_transition_matrix
    group by from_segment_name, to_segment_name
)

select transitions.*
from (select 1 as one) as at_least_one_row
left join transitions on true
order by transitions.customers desc
