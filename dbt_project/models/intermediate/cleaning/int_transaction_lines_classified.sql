{{ config(
    materialized=incremental_by_load(),
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook="{{ reset_after_replacing_load() }}",
) }}
{#- Incremental by load: a line's classification depends only on itself and,
    for duplicates, on lines of earlier loads (the first copy wins), so
    processed lines never change and each new load is classified against
    them. -#}

{%- set duplicate_key = ['customer_id', 'order_id', 'ordered_at', 'product_id', 'description',
                         'quantity', 'unit_price', 'order_total', 'country'] %}
{#- A line's key columns, and which line it is: what the duplicate check reads. #}
{%- set line_key_columns = duplicate_key + ['load_id', 'source_row_number'] %}
{%- set new_loads_only = new_loads_filter('load_id') %}

with

transactions as (
    select
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
        refunded_amount,
        line_amount,
        is_cancellation,
        is_cancelled_order,
        is_negative_line,
        ordered_at,
        cancelled_at,
        loaded_at
    from {{ ref('stg_retail__transactions') }}
    {{ new_loads_only }}
),

{#- The same lines again, narrow: ranking duplicates over the key columns
    alone, then joining the few duplicates back, is twice as fast at 54M
    lines as ranking every line with all its columns (which spilled 9 GB to
    disk). The engine reads and parses only the columns each import needs. -#}
new_line_keys as (
    select
        {{ line_key_columns | join(',\n        ') }}
    from {{ ref('stg_retail__transactions') }}
    {{ new_loads_only }}
),

new_product_codes as (
    select distinct product_code
    from {{ ref('stg_retail__transactions') }}
    {{ new_loads_only }}
        and product_code is not null
),

non_product_codes as (
    select
        upper(trim(stock_code)) as code,
        match_type
    from {{ ref('non_product_stock_codes') }}
),

{%- if is_incremental() %}
{#- The processed lines of the orders the new lines belong to (a duplicate
    repeats the order id): what new lines can be copies of. #}
processed_line_keys as (
    select
        {{ line_key_columns | join(',\n        ') }}
    from {{ this }}
    where coalesce(order_id, '') in (
        select coalesce(order_id, '') from new_line_keys
    )
),
{%- endif %}

{#- Ranking every line over the nine key columns sorted all 54M lines at 100x
    (53 s of CPU, spilling to disk). A line whose key hash occurs once has no
    copy, so only lines sharing a hash are ranked: a hash group-by plus a
    window over about 2% of the lines. The hashes are read from staging
    again rather than from the candidates below, which the engine would
    otherwise materialise. -#}
line_key_hashes as (
    select {{ row_hash(duplicate_key) }} as key_hash
    from {{ ref('stg_retail__transactions') }}
    {{ new_loads_only }}
    {%- if is_incremental() %}
    union all
    select {{ row_hash(duplicate_key) }} as key_hash
    from processed_line_keys
    {%- endif %}
),

repeated_key_hashes as (
    select key_hash
    from line_key_hashes
    group by key_hash
    having count(*) > 1
),

{#- Duplicate candidates: the new lines plus the processed lines of the same
    orders, ranked together. -#}
duplicate_candidates as (
    select
        {{ line_key_columns | join(',\n        ') }},
        true as is_new
    from new_line_keys
    where {{ row_hash(duplicate_key) }} in (select key_hash from repeated_key_hashes)
    {%- if is_incremental() %}
    union all
    select
        {{ line_key_columns | join(',\n        ') }},
        false as is_new
    from processed_line_keys
    where {{ row_hash(duplicate_key) }} in (select key_hash from repeated_key_hashes)
    {%- endif %}
),

{#- Every copy of a line but the first (by load, then source row). -#}
duplicate_lines as (
    select
        load_id,
        source_row_number
    from (
        select
            load_id,
            source_row_number,
            is_new,
            row_number() over (
                partition by
                    {%- for column in duplicate_key %}
                    {{ column }}{{ ',' if not loop.last }}
                    {%- endfor %}
                order by load_id, source_row_number
            ) as copy_number
        from duplicate_candidates
    ) as ranked
    where is_new and copy_number > 1
),

new_lines as (
    select
        transactions.*,
        duplicate_lines.load_id is not null as is_duplicate
    from transactions
    left join duplicate_lines
        on transactions.load_id = duplicate_lines.load_id
        and transactions.source_row_number = duplicate_lines.source_row_number
),

{#- Classify the few thousand distinct codes, then join back on equality:
    a prefix match joined against every line would be a nested loop. #}
non_product_distinct_codes as (
    select distinct new_product_codes.product_code
    from new_product_codes
    inner join non_product_codes
        on (
            non_product_codes.match_type = 'exact'
            and new_product_codes.product_code = non_product_codes.code
        )
        or (
            non_product_codes.match_type = 'prefix'
            and substring(
                new_product_codes.product_code, 1, length(non_product_codes.code)
            ) = non_product_codes.code
        )
),

flagged as (
    select
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
        transactions.order_total,
        transactions.refunded_amount,
        transactions.parse_error is not null as is_unparseable,
        -- Clock errors and test orders; the tolerance covers shops whose
        -- local time runs ahead of UTC (loaded_at is UTC).
        coalesce(
            transactions.ordered_at > {{ dbt.dateadd(
                'hour', var('future_dated_tolerance_hours'), 'transactions.loaded_at') }},
            false
        ) as is_future_dated,
        transactions.customer_id is null as is_missing_customer_id,
        transactions.is_duplicate,
        -- Cancellation invoices, lines of orders marked cancelled, and
        -- negative lines of a known customer (returns).
        transactions.is_cancellation or transactions.is_negative_line
            as is_cancellation,
        transactions.is_cancelled_order,
        coalesce(transactions.quantity <= 0, false) as is_non_positive_quantity,
        coalesce(
            coalesce(transactions.unit_price, transactions.order_total) <= 0,
            false
        ) as is_non_positive_price,
        non_product_distinct_codes.product_code is not null
            as is_non_product_code,
        transactions.ordered_at,
        transactions.cancelled_at
    from new_lines as transactions
    left join non_product_distinct_codes
        on transactions.product_code = non_product_distinct_codes.product_code
),

classified as (
    select
        customer_id,
        order_id,
        product_id,
        description,
        country,
        parse_error,
        -- First matching rule wins; the order is seeds/exclusion_rules.csv.
        case
            when is_unparseable then 'unparseable_value'
            when is_future_dated then 'future_dated'
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
        order_total,
        refunded_amount,
        line_amount,
        is_unparseable,
        is_future_dated,
        is_missing_customer_id,
        is_duplicate,
        is_cancellation,
        is_cancelled_order,
        is_non_positive_quantity,
        is_non_positive_price,
        is_non_product_code,
        ordered_at,
        cancelled_at
    from flagged
)

select * from classified
