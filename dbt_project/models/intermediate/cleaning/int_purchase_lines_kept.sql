with

classified_lines as (
    select
        {{ transaction_line_id('load_id', 'source_row_number') }} as transaction_line_id,
        customer_id,
        order_id,
        product_id,
        country,
        quantity,
        unit_price,
        line_amount,
        ordered_at,
        load_id,
        source_row_number
    from {{ ref('int_transaction_lines_classified') }}
    where exclusion_reason is null
)

select * from classified_lines
