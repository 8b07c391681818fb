with

cancellation_lines as (
    select
        transaction_line_id,
        customer_id,
        order_id,
        product_id,
        -- Cancellation lines carry negative quantities: report returns positive.
        -quantity as returned_quantity,
        -line_amount as returned_amount,
        ordered_at as cancelled_at
    from {{ ref('int_transaction_lines_classified') }}
    where
        exclusion_reason = 'cancellation'
        -- Refunds of postage, fees and discounts are not product returns.
        and not is_non_product_code
        and line_amount < 0
)

select * from cancellation_lines
