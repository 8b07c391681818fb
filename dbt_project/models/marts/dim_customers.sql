with

customer_features as (
    select
        customer_id,
        country,
        frequency,
        monetary,
        cancelled_orders,
        returned_amount,
        first_ordered_at,
        last_ordered_at
    -- Features with a cutoff after all data are the all-time totals.
    from (
        {{ customer_features_at("select cast('9999-12-31' as date) as cutoff_date") | indent(8) }}
    ) as all_time_features
),

customers as (
    select
        customer_id,
        country,
        frequency as lifetime_orders,
        monetary as lifetime_revenue,
        cancelled_orders as lifetime_cancelled_orders,
        returned_amount as lifetime_returned_amount,
        cast(first_ordered_at as date) as first_order_date,
        cast(last_ordered_at as date) as last_order_date,
        first_ordered_at,
        last_ordered_at
    from customer_features
)

select * from customers
