-- Segment mix per build: each segment's share of customers and of predicted
-- LTV at every recorded as_of_date.
with

size_history as (
    select
        as_of_date,
        segment_id,
        segment_name,
        customers,
        total_predicted_ltv
    from {{ ref('segment_size_history') }}
),

mix as (
    select
        as_of_date,
        segment_id,
        segment_name,
        customers,
        cast(customers as {{ type_double() }})
        / sum(customers) over (partition by as_of_date) as customer_share,
        total_predicted_ltv,
        total_predicted_ltv
        / nullif(sum(total_predicted_ltv) over (partition by as_of_date), 0)
            as predicted_ltv_share
    from size_history
)

select * from mix
order by as_of_date, segment_id
