{#- Fields that exports such as Shopify's write on an order's first line
    only: blank on a line, they are taken from another line of the same
    order in the same load (ingest checks the same way). -#}
{%- set order_level = ['customer_id', 'order_datetime', 'country', 'cancelled_at', 'is_cancelled'] -%}
{%- set order_key = "nullif(upper(trim(order_id)), '')" -%}

with

source_rows as (
    select
        _load_id,
        _source_row_number,
        _source_file,
        _source_sheet,
        _loaded_at,
        _datetime_format,
        _decimal_separator,
        _cancellation_prefix,
        _parse_error,
        customer_id,
        order_id,
        order_datetime,
        product_id,
        description,
        quantity,
        unit_price,
        order_total,
        country,
        cancelled_at,
        is_cancelled,
        refunded_amount
    from {{ source('retail', 'transactions') }}
),

order_level_filled as (
    select
        _load_id,
        _source_row_number,
        _source_file,
        _source_sheet,
        _loaded_at,
        _datetime_format,
        _decimal_separator,
        _cancellation_prefix,
        _parse_error,
        order_id,
        product_id,
        description,
        quantity,
        unit_price,
        order_total,
        refunded_amount,
        {%- for column in order_level %}
        coalesce(
            nullif(trim({{ column }}), ''),
            case
                when {{ order_key }} is not null
                    then max(nullif(trim({{ column }}), '')) over (
                        partition by _load_id, {{ order_key }}
                    )
            end
        ) as {{ column }}_text{{ ',' if not loop.last }}
        {%- endfor %}
    from source_rows
),

typed as (
    select
        {{ transaction_line_id('_load_id', '_source_row_number') }} as transaction_line_id,
        -- Excel stores numeric ids as floats: 12346.0 and 12346 are one customer.
        -- [.] rather than a backslash: Spark reads '\.' in a string literal as '.', any character.
        -- The LIKE lets only ids that can match (a point, a final zero) reach the regular
        -- expression, which took 3 s of CPU per read of 54M lines.
        nullif(
            case
                when customer_id_text like '%.%0'
                    then regexp_replace(customer_id_text, '[.]0+$', '')
                else customer_id_text
            end,
            ''
        ) as customer_id,
        nullif(upper(trim(order_id)), '') as source_order_id,
        nullif(trim(product_id), '') as product_id,
        nullif(upper(trim(product_id)), '') as product_code,
        nullif(trim(description), '') as description,
        country_text as country,
        _source_file as source_file,
        _source_sheet as source_sheet,
        _parse_error as parse_error,
        _load_id as load_id,
        _source_row_number as source_row_number,
        coalesce(_cancellation_prefix, 'C') as cancellation_prefix,
        {{ dbt.safe_cast(parse_number('quantity', '_decimal_separator'), 'decimal(18, 3)') }}
            as quantity,
        {{ dbt.safe_cast(parse_number('unit_price', '_decimal_separator'), 'decimal(18, 4)') }}
            as unit_price,
        {{ dbt.safe_cast(parse_number('order_total', '_decimal_separator'), 'decimal(18, 2)') }}
            as order_total,
        {{ dbt.safe_cast(parse_number('refunded_amount', '_decimal_separator'), 'decimal(18, 2)') }}
            as refunded_amount,
        cancelled_at_text is not null
            or coalesce(lower(is_cancelled_text), 'false')
            in ('true', 't', 'yes', 'y', '1', 'cancelled', 'canceled')
            as is_cancelled_order,
        {{ parse_datetime('order_datetime_text', '_datetime_format') }}
            as ordered_at,
        {{ parse_datetime('cancelled_at_text', '_datetime_format') }}
            as cancelled_at,
        _loaded_at as loaded_at
    from order_level_filled
),

flagged as (
    select
        transaction_line_id,
        customer_id,
        -- Without an order id in the export every row is its own order.
        coalesce(
            source_order_id,
            {{ dbt.concat(["'ROW-'", 'transaction_line_id']) }}
        ) as order_id,
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
        refunded_amount,
        -- Shops exporting totals have no quantity x price; the total is the amount.
        coalesce(
            cast(quantity * unit_price as decimal(18, 2)), order_total
        ) as line_amount,
        source_order_id is null as is_order_id_generated,
        coalesce(
            cancellation_prefix <> ''
            and substring(source_order_id, 1, length(cancellation_prefix))
            = cancellation_prefix,
            false
        ) or is_cancelled_order as is_cancellation,
        is_cancelled_order,
        coalesce(quantity < 0, order_total < 0, false) as is_negative_line,
        ordered_at,
        cancelled_at,
        loaded_at
    from typed
)

select * from flagged
