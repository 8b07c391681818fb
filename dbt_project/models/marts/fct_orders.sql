{{ config(
    materialized=incremental_by_load(),
    unique_key='order_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    pre_hook="{{ reset_after_replacing_load('last_load_id') }}",
) }}
{#- Incremental: an order is recomputed from all its lines whenever a new
    load brings a kept line for it, so lines arriving late or in a later
    batch than the rest of their order still land in the right order. -#}

with

purchase_lines as (
    select
        customer_id,
        order_id,
        product_id,
        country,
        quantity,
        line_amount,
        ordered_at,
        load_id
    from {{ ref('int_purchase_lines_kept') }}
    {%- if is_incremental() %}
    where {{ touched_by_new_loads('order_id') }}
    {%- endif %}
),

orders as (
    select
        order_id,
        min(customer_id) as customer_id,
        min(country) as country,
        count(*) as line_count,
        case
            when count(product_id) > 0 then {{ count_distinct('product_id') }}
        end as distinct_products,
        cast(sum(quantity) as decimal(38, 3)) as item_quantity,
        cast(sum(line_amount) as decimal(18, 2)) as order_amount,
        cast(min(ordered_at) as date) as order_date,
        min(ordered_at) as ordered_at,
        max(load_id) as last_load_id
    from purchase_lines
    group by order_id
)

select * from orders
