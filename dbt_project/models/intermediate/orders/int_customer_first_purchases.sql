{{ config(materialized='table') }}
{#- A customer's distinct products at a cutoff are the products first bought
    before it: this counts them per first-purchase time, so the features join
    these rows (about one per order) to their cutoffs instead of every line. -#}
with

kept_lines as (
    select
        customer_id,
        product_id,
        ordered_at
    from {{ ref('int_purchase_lines_kept') }}
    where product_id is not null
),

customer_products as (
    select
        customer_id,
        product_id,
        min(ordered_at) as first_ordered_at
    from kept_lines
    group by customer_id, product_id
),

first_purchases as (
    select
        customer_id,
        first_ordered_at,
        count(*) as new_products
    from customer_products
    group by customer_id, first_ordered_at
)

select * from first_purchases
