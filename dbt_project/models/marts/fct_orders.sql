with

purchase_lines as (
    select
        customer_id,
        order_id,
        product_id,
        country,
        quantity,
        line_amount,
        ordered_at
    from {{ ref('int_purchase_lines_kept') }}
),

orders as (
    select
        order_id,
        min(customer_id) as customer_id,
        min(country) as country,
        count(*) as line_count,
        count(distinct product_id) as distinct_products,
        sum(quantity) as item_quantity,
        cast(sum(line_amount) as decimal(18, 2)) as order_amount,
        cast(min(ordered_at) as date) as order_date,
        min(ordered_at) as ordered_at
    from purchase_lines
    group by order_id
)

select * from orders
