-- Every current customer is in exactly one segment, and the summary adds up.
with

features as (
    select count(*) as customers from {{ ref('customer_features') }}
),

segments as (
    select count(*) as customers, count(distinct customer_id) as distinct_customers
    from {{ ref('customer_segments') }}
),

summary as (
    select coalesce(sum(customers), 0) as customers from {{ ref('segment_summary') }}
)

select
    features.customers as feature_customers,
    segments.customers as segmented_rows,
    segments.distinct_customers,
    summary.customers as summary_customers
from features
cross join segments
cross join summary
where features.customers <> segments.customers
    or segments.customers <> segments.distinct_customers
    or features.customers <> summary.customers
