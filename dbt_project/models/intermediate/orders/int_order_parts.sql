{{ config(materialized='table') }}
{#- Kept purchase lines summed per order, timestamp and country: the rows the
    customer features (macro customer_features_at) join to their cutoffs. Five
    models read it, at one to a dozen cutoffs each; joining the lines
    themselves to twelve cutoffs made 450M rows at 100x the real data. Sums and
    counts, never averages, so any set of parts adds up to what its lines give. -#}
with

kept_lines as (
    select
        customer_id,
        order_id,
        ordered_at,
        country,
        product_id,
        quantity,
        unit_price,
        line_amount
    from {{ ref('int_purchase_lines_kept') }}
),

order_parts as (
    select
        customer_id,
        order_id,
        ordered_at,
        country,
        count(*) as line_count,
        count(product_id) as product_line_count,
        sum(line_amount) as part_amount,
        sum(quantity) as part_quantity,
        sum(unit_price) as unit_price_sum,
        count(unit_price) as unit_price_count
    from kept_lines
    group by customer_id, order_id, ordered_at, country
)

select * from order_parts
