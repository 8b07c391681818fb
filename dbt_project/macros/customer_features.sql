{#- customer_features_at(cutoffs, customers=none): the per-customer feature query
    as of one or more cutoffs, using only purchases and returns strictly before each.

    cutoffs: a SQL select with one column, cutoff_date (a date), one row per
    cutoff (e.g. as_of_date(), or the training snapshots' earlier cutoffs).
    customers: none (everyone), or a SQL select with one column, customer_id:
    only their rows are read (the training snapshots' sample).
    Output: one row per customer and cutoff (column as_of_date) for customers
    with at least one kept purchase before that cutoff. marts.customer_features
    calls it at as_of_date; training snapshots call it once for all their
    cutoffs, so the logic exists once and the lines are aggregated once: order
    parts and first purchases join the cutoffs after them, and everything
    groups by cutoff. (One query per cutoff, unioned, read the lines twelve
    times, and Spark's planner ran out of memory on the twelve copies.) -#}
{% macro customer_features_at(cutoffs, customers=none) -%}
{%- set cutoff_at = 'cutoff_at' -%}
{%- set since_30d = dbt.dateadd('day', -30, cutoff_at) -%}
{%- set since_90d = dbt.dateadd('day', -90, cutoff_at) -%}
{%- set since_180d = dbt.dateadd('day', -180, cutoff_at) -%}
{#- Day counts cast to bigint: datediff gives bigint on DuckDB, int on Spark. -#}
with

cutoffs as (
    select distinct
        cast(cutoff_date as date) as as_of_date,
        cast(cutoff_date as {{ dbt.type_timestamp() }}) as cutoff_at
    from (
        {{ cutoffs | indent(8) }}
    ) as requested
),

order_parts as (
    select
        customer_id,
        order_id,
        ordered_at,
        country,
        line_count,
        product_line_count,
        part_amount,
        part_quantity,
        unit_price_sum,
        unit_price_count
    from {{ ref('int_order_parts') }}
    {{- only_customers(customers) }}
),

first_purchases as (
    select
        customer_id,
        first_ordered_at,
        new_products
    from {{ ref('int_customer_first_purchases') }}
    {{- only_customers(customers) }}
),

return_lines as (
    select
        customer_id,
        order_id,
        cancelled_at,
        returned_amount
    from {{ ref('int_return_lines_attributed') }}
    {{- only_customers(customers) }}
),

-- Returns are a few percent of lines: summed per order here, not in a model.
return_parts as (
    select
        customer_id,
        order_id,
        cancelled_at,
        sum(returned_amount) as returned_amount
    from return_lines
    group by customer_id, order_id, cancelled_at
),

parts_at_cutoff as (
    select
        cutoffs.as_of_date,
        cutoffs.cutoff_at,
        order_parts.customer_id,
        order_parts.order_id,
        order_parts.ordered_at,
        order_parts.country,
        order_parts.line_count,
        order_parts.product_line_count,
        order_parts.part_amount,
        order_parts.part_quantity,
        order_parts.unit_price_sum,
        order_parts.unit_price_count
    from order_parts
    inner join cutoffs
        on order_parts.ordered_at < cutoffs.cutoff_at
),

orders as (
    select
        as_of_date,
        cutoff_at,
        customer_id,
        order_id,
        min(ordered_at) as ordered_at,
        sum(part_amount) as order_amount,
        sum(part_quantity) as order_quantity
    from parts_at_cutoff
    group by as_of_date, cutoff_at, customer_id, order_id
),

order_stats as (
    select
        as_of_date,
        cutoff_at,
        customer_id,
        count(*) as frequency,
        sum(order_amount) as monetary,
        sum(order_quantity) as items_purchased,
        count(case when ordered_at >= {{ since_30d }} then 1 end)
            as orders_last_30d,
        count(case when ordered_at >= {{ since_90d }} then 1 end)
            as orders_last_90d,
        sum(case when ordered_at >= {{ since_90d }} then order_amount else 0 end)
            as monetary_last_90d,
        sum(
            case
                when ordered_at >= {{ since_180d }} and ordered_at < {{ since_90d }}
                    then order_amount
                else 0
            end
        ) as monetary_prior_90d,
        min(ordered_at) as first_ordered_at,
        max(ordered_at) as last_ordered_at
    from orders
    group by as_of_date, cutoff_at, customer_id
),

{#- Order-level exports carry no products or unit prices: these features
    are then null, not zero. #}
line_stats as (
    select
        as_of_date,
        customer_id,
        sum(product_line_count) as product_line_count,
        -- An exact decimal sum, then one division: avg() sums in floating point, in
        -- an order that varies with threads and engines, and the 4th decimal flipped.
        cast(sum(unit_price_sum) as double) / sum(unit_price_count) as avg_unit_price
    from parts_at_cutoff
    group by as_of_date, customer_id
),

product_stats as (
    select
        cutoffs.as_of_date,
        first_purchases.customer_id,
        sum(first_purchases.new_products) as unique_products
    from first_purchases
    inner join cutoffs
        on first_purchases.first_ordered_at < cutoffs.cutoff_at
    group by cutoffs.as_of_date, first_purchases.customer_id
),

country_counts as (
    select
        as_of_date,
        customer_id,
        country,
        sum(line_count) as line_count
    from parts_at_cutoff
    where country is not null
    group by as_of_date, customer_id, country
),

-- A few customers order from several countries: take the most frequent.
main_country as (
    select
        as_of_date,
        customer_id,
        country
    from (
        select
            as_of_date,
            customer_id,
            country,
            row_number() over (
                partition by as_of_date, customer_id order by line_count desc, country
            ) as country_rank
        from country_counts
    ) as ranked
    where country_rank = 1
),

return_stats as (
    select
        cutoffs.as_of_date,
        return_parts.customer_id,
        count(distinct return_parts.order_id) as cancelled_orders,
        sum(return_parts.returned_amount) as returned_amount
    from return_parts
    inner join cutoffs
        on return_parts.cancelled_at < cutoffs.cutoff_at
    group by cutoffs.as_of_date, return_parts.customer_id
),

features as (
    select
        order_stats.customer_id,
        main_country.country,
        order_stats.frequency,
        cast(order_stats.monetary as decimal(18, 2)) as monetary,
        cast(order_stats.monetary / order_stats.frequency as decimal(18, 2))
            as avg_order_value,
        cast(order_stats.items_purchased as double) / order_stats.frequency
            as avg_items_per_order,
        case
            when line_stats.product_line_count > 0
                then cast(product_stats.unique_products as {{ dbt.type_bigint() }})
        end as unique_products,
        cast(line_stats.avg_unit_price as decimal(18, 4)) as avg_unit_price,
        cast({{ dbt.datediff('order_stats.last_ordered_at', 'order_stats.cutoff_at', 'day') }} as {{ dbt.type_bigint() }})
            as recency_days,
        cast({{ dbt.datediff('order_stats.first_ordered_at', 'order_stats.cutoff_at', 'day') }} as {{ dbt.type_bigint() }})
            as tenure_days,
        cast({{ dbt.datediff('order_stats.first_ordered_at', 'order_stats.last_ordered_at', 'day') }} as {{ dbt.type_bigint() }})
            as purchase_span_days,
        case
            when order_stats.frequency > 1
                then cast({{ dbt.datediff(
                    'order_stats.first_ordered_at',
                    'order_stats.last_ordered_at',
                    'day') }} as double) / (order_stats.frequency - 1)
        end as avg_interpurchase_days,
        order_stats.orders_last_30d,
        order_stats.orders_last_90d,
        cast(order_stats.monetary_last_90d as decimal(18, 2))
            as monetary_last_90d,
        cast(order_stats.monetary_prior_90d as decimal(18, 2))
            as monetary_prior_90d,
        case
            when order_stats.monetary_last_90d + order_stats.monetary_prior_90d > 0
                then cast(
                    order_stats.monetary_last_90d - order_stats.monetary_prior_90d
                    as double
                ) / (order_stats.monetary_last_90d + order_stats.monetary_prior_90d)
            else 0
        end as spend_trend,
        coalesce(return_stats.cancelled_orders, 0) as cancelled_orders,
        cast(coalesce(return_stats.returned_amount, 0) as decimal(18, 2))
            as returned_amount,
        cast(coalesce(return_stats.returned_amount, 0) as double)
            / (order_stats.monetary + coalesce(return_stats.returned_amount, 0))
            as return_rate,
        order_stats.as_of_date,
        order_stats.first_ordered_at,
        order_stats.last_ordered_at
    from order_stats
    inner join line_stats
        on order_stats.as_of_date = line_stats.as_of_date
        and order_stats.customer_id = line_stats.customer_id
    left join product_stats
        on order_stats.as_of_date = product_stats.as_of_date
        and order_stats.customer_id = product_stats.customer_id
    left join main_country
        on order_stats.as_of_date = main_country.as_of_date
        and order_stats.customer_id = main_country.customer_id
    left join return_stats
        on order_stats.as_of_date = return_stats.as_of_date
        and order_stats.customer_id = return_stats.customer_id
)

select * from features
{%- endmacro %}

{#- A where clause keeping the rows of the customers selected by ``customers`` (none: no clause). -#}
{% macro only_customers(customers) -%}
    {%- if customers is not none %}
    where customer_id in (select customer_id from ({{ customers }}) as kept_customers)
    {%- endif -%}
{%- endmacro %}
