{#- Fields that exports such as Shopify's write on an order's first line
    only: blank on a line, they are taken from another line of the same
    order in the same load (stg_retail__order_fills; ingest checks the same
    way). -#}
{%- set order_level = order_level_fields() -%}
with

source_rows as (
    select
        _load_id,
        _source_row_number,
        _source_sheet,
        _loaded_at,
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

{#- How each load was read: the same for all its rows, so kept once per load. #}
loads as (
    select
        load_id,
        file_name,
        datetime_format,
        decimal_separator,
        cancellation_prefix
    from {{ source('retail', 'loads') }}
),

order_fills as (
    select
        load_id,
        order_key,
        {{ order_level | join(',\n        ') }}
    from {{ ref('stg_retail__order_fills') }}
    where order_key is not null
),

order_level_filled as (
    select
        source_rows._load_id,
        source_rows._source_row_number,
        loads.file_name,
        source_rows._source_sheet,
        source_rows._loaded_at,
        loads.datetime_format,
        loads.decimal_separator,
        loads.cancellation_prefix,
        source_rows._parse_error,
        source_rows.order_id,
        source_rows.product_id,
        source_rows.description,
        source_rows.quantity,
        source_rows.unit_price,
        source_rows.order_total,
        source_rows.refunded_amount,
        {%- for column in order_level %}
        nullif(trim(source_rows.{{ column }}), '') as {{ column }}_text,
        order_fills.{{ column }} as {{ column }}_fill{{ ',' if not loop.last }}
        {%- endfor %}
    from source_rows
    left join loads
        on source_rows._load_id = loads.load_id
    left join order_fills
        on source_rows._load_id = order_fills.load_id
        and {{ order_key('source_rows.order_id') }} = order_fills.order_key
),

typed as (
    select
        {{ transaction_line_id('_load_id', '_source_row_number') }} as transaction_line_id,
        {{ own_else_fill('customer_id', customer_id_typed) }} as customer_id,
        {{ order_key('order_id') }} as source_order_id,
        nullif(trim(product_id), '') as product_id,
        nullif(upper(trim(product_id)), '') as product_code,
        nullif(trim(description), '') as description,
        coalesce(country_text, country_fill) as country,
        file_name as source_file,
        _source_sheet as source_sheet,
        _parse_error as parse_error,
        _load_id as load_id,
        _source_row_number as source_row_number,
        coalesce(cancellation_prefix, 'C') as cancellation_prefix,
        {{ dbt.safe_cast(parse_number('quantity', 'decimal_separator'), 'decimal(18, 3)') }}
            as quantity,
        {{ dbt.safe_cast(parse_number('unit_price', 'decimal_separator'), 'decimal(18, 4)') }}
            as unit_price,
        {{ dbt.safe_cast(parse_number('order_total', 'decimal_separator'), 'decimal(18, 2)') }}
            as order_total,
        {{ dbt.safe_cast(parse_number('refunded_amount', 'decimal_separator'), 'decimal(18, 2)') }}
            as refunded_amount,
        coalesce(cancelled_at_text, cancelled_at_fill) is not null
            or coalesce(lower(coalesce(is_cancelled_text, is_cancelled_fill)), 'false')
            in ('true', 't', 'yes', 'y', '1', 'cancelled', 'canceled')
            as is_cancelled_order,
        {{ own_else_fill('order_datetime', datetime_typed) }} as ordered_at,
        {{ own_else_fill('cancelled_at', datetime_typed) }} as cancelled_at,
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
