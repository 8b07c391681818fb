{{ config(
    materialized=incremental_by_load(),
    unique_key='order_id',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    pre_hook="{{ reset_after_replacing_load('last_load_id') }}",
) }}
{#- Kept purchase lines summed per order, timestamp and country: the rows the
    customer features (macro customer_features_at) join to their cutoffs. Five
    models read it, at one to a dozen cutoffs each; joining the lines
    themselves to twelve cutoffs made 450M rows at 100x the real data. Sums and
    counts, never averages, so any set of parts adds up to what its lines give.
    Incremental like fct_orders: an order's parts are recomputed from all its
    lines whenever a new load brings a kept line for it.
    Upgrading from its table version, last_load_id arrives empty
    (append_new_columns): the watermark reads 0 and the first incremental run
    recomputes every row. -#}
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
        line_amount,
        load_id
    from {{ ref('int_purchase_lines_kept') }}
    {%- if is_incremental() %}
    where {{ touched_by_new_loads('order_id') }}
    {%- endif %}
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
        count(unit_price) as unit_price_count,
        max(load_id) as last_load_id
    from kept_lines
    group by customer_id, order_id, ordered_at, country
)

select * from order_parts
