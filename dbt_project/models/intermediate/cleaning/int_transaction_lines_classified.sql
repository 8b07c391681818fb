{{ config(materialized='table') }}

with

transactions as (
    select
        transaction_line_id,
        customer_id,
        order_id,
        product_id,
        product_code,
        description,
        country,
        parse_error,
        load_id,
        source_row_number,
        quantity,
        unit_price,
        order_total,
        line_amount,
        is_cancellation,
        ordered_at
    from {{ ref('stg_retail__transactions') }}
),

non_product_codes as (
    select
        upper(trim(stock_code)) as code,
        match_type
    from {{ ref('non_product_stock_codes') }}
),

{#- Classify the few thousand distinct codes, then join back on equality:
    a prefix match joined against every line would be a nested loop. #}
distinct_codes as (
    select distinct product_code
    from transactions
    where product_code is not null
),

non_product_distinct_codes as (
    select distinct distinct_codes.product_code
    from distinct_codes
    inner join non_product_codes
        on (
            non_product_codes.match_type = 'exact'
            and distinct_codes.product_code = non_product_codes.code
        )
        or (
            non_product_codes.match_type = 'prefix'
            and substring(
                distinct_codes.product_code, 1, length(non_product_codes.code)
            ) = non_product_codes.code
        )
),

flagged as (
    select
        transactions.transaction_line_id,
        transactions.customer_id,
        transactions.order_id,
        transactions.product_id,
        transactions.description,
        transactions.country,
        transactions.parse_error,
        transactions.load_id,
        transactions.source_row_number,
        transactions.quantity,
        transactions.unit_price,
        transactions.line_amount,
        transactions.parse_error is not null as is_unparseable,
        transactions.customer_id is null as is_missing_customer_id,
        row_number() over (
            partition by
                transactions.customer_id,
                transactions.order_id,
                transactions.ordered_at,
                transactions.product_id,
                transactions.description,
                transactions.quantity,
                transactions.unit_price,
                transactions.order_total,
                transactions.country
            order by transactions.load_id, transactions.source_row_number
        ) > 1 as is_duplicate,
        transactions.is_cancellation,
        coalesce(transactions.quantity <= 0, false) as is_non_positive_quantity,
        coalesce(
            coalesce(transactions.unit_price, transactions.order_total) <= 0,
            false
        ) as is_non_positive_price,
        non_product_distinct_codes.product_code is not null
            as is_non_product_code,
        transactions.ordered_at
    from transactions
    left join non_product_distinct_codes
        on transactions.product_code = non_product_distinct_codes.product_code
),

classified as (
    select
        transaction_line_id,
        customer_id,
        order_id,
        product_id,
        description,
        country,
        parse_error,
        -- First matching rule wins; the order is seeds/exclusion_rules.csv.
        case
            when is_unparseable then 'unparseable_value'
            when is_missing_customer_id then 'missing_customer_id'
            when is_duplicate then 'duplicate'
            when is_cancellation then 'cancellation'
            when is_non_positive_quantity then 'non_positive_quantity'
            when is_non_positive_price then 'non_positive_price'
            when is_non_product_code then 'non_product_code'
        end as exclusion_reason,
        load_id,
        source_row_number,
        quantity,
        unit_price,
        line_amount,
        is_unparseable,
        is_missing_customer_id,
        is_duplicate,
        is_cancellation,
        is_non_positive_quantity,
        is_non_positive_price,
        is_non_product_code,
        ordered_at
    from flagged
)

select * from classified
