with

source_rows as (
    select
        _load_id,
        _source_row_number,
        _source_file,
        _source_sheet,
        _loaded_at,
        _datetime_format,
        _parse_error,
        customer_id,
        order_id,
        order_datetime,
        product_id,
        description,
        quantity,
        unit_price,
        order_total,
        country
    from {{ source('retail', 'transactions') }}
),

typed as (
    select
        {{ dbt.concat([
            dbt.safe_cast('_load_id', dbt.type_string()), "'-'",
            dbt.safe_cast('_source_row_number', dbt.type_string())
        ]) }} as transaction_line_id,
        -- Excel stores numeric ids as floats: 12346.0 and 12346 are one customer.
        nullif(regexp_replace(trim(customer_id), '\.0+$', ''), '')
            as customer_id,
        nullif(upper(trim(order_id)), '') as order_id,
        nullif(trim(product_id), '') as product_id,
        nullif(upper(trim(product_id)), '') as product_code,
        nullif(trim(description), '') as description,
        nullif(trim(country), '') as country,
        _source_file as source_file,
        _source_sheet as source_sheet,
        _parse_error as parse_error,
        _load_id as load_id,
        _source_row_number as source_row_number,
        {{ dbt.safe_cast('trim(quantity)', 'decimal(18, 3)') }} as quantity,
        {{ dbt.safe_cast('trim(unit_price)', 'decimal(18, 4)') }} as unit_price,
        {{ dbt.safe_cast('trim(order_total)', 'decimal(18, 2)') }}
            as order_total,
        {{ parse_datetime('order_datetime', '_datetime_format') }}
            as ordered_at,
        _loaded_at as loaded_at
    from source_rows
),

flagged as (
    select
        transaction_line_id,
        customer_id,
        order_id,
        product_id,
        product_code,
        description,
        country,
        source_file,
        source_sheet,
        parse_error,
        load_id,
        source_row_number,
        quantity,
        unit_price,
        order_total,
        -- Shops exporting totals have no quantity x price; the total is the amount.
        coalesce(
            cast(quantity * unit_price as decimal(18, 2)), order_total
        ) as line_amount,
        substring(order_id, 1, 1) = 'C' as is_cancellation,
        ordered_at,
        loaded_at
    from typed
)

select * from flagged
