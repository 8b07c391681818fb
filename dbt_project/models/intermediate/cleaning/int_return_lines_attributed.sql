with

cancellation_lines as (
    select
        {{ transaction_line_id('load_id', 'source_row_number') }} as transaction_line_id,
        customer_id,
        order_id,
        product_id,
        quantity,
        line_amount,
        is_cancelled_order,
        ordered_at,
        cancelled_at,
        load_id,
        source_row_number
    from {{ ref('int_transaction_lines_classified') }}
    where
        exclusion_reason = 'cancellation'
        -- Refunds of postage, fees and discounts are not product returns.
        and not is_non_product_code
),

refunded_orders as (
    select
        {{ transaction_line_id('load_id', 'source_row_number') }} as transaction_line_id,
        customer_id,
        order_id,
        product_id,
        refunded_amount,
        ordered_at,
        load_id,
        source_row_number
    from {{ ref('int_transaction_lines_classified') }}
    where exclusion_reason is null and refunded_amount > 0
),

returns as (
    {#- A cancellation invoice or a negative line reverses an earlier
        purchase at its own time; an order marked cancelled returns its own
        (positive) lines when it was cancelled, at the order time when the
        export gives no cancellation time. #}
    select
        transaction_line_id,
        customer_id,
        order_id,
        product_id,
        abs(quantity) as returned_quantity,
        abs(line_amount) as returned_amount,
        case
            when is_cancelled_order then coalesce(cancelled_at, ordered_at)
            else ordered_at
        end as cancelled_at,
        load_id,
        source_row_number
    from cancellation_lines
    where line_amount < 0 or (is_cancelled_order and line_amount > 0)
    union all
    {#- An order-level refund on a kept order (Shopify's Refunded Amount):
        the export gives no refund time, so it is dated at the order. #}
    select
        transaction_line_id,
        customer_id,
        order_id,
        product_id,
        cast(null as decimal(18, 3)) as returned_quantity,
        refunded_amount as returned_amount,
        ordered_at as cancelled_at,
        load_id,
        source_row_number
    from refunded_orders
)

select * from returns
