-- Cohort retention: of the customers whose first order fell in a month, the
-- share who ordered again N months later (month 0 is the cohort itself).
with

orders as (
    select
        customer_id,
        {{ dbt.date_trunc('month', 'order_date') }} as order_month
    from {{ ref('fct_orders') }}
),

first_orders as (
    select
        customer_id,
        min(order_month) as cohort_month
    from orders
    group by customer_id
),

activity as (
    select distinct
        first_orders.cohort_month,
        orders.customer_id,
        {{ dbt.datediff('first_orders.cohort_month', 'orders.order_month', 'month') }}
            as months_since_first_order
    from orders
    inner join first_orders
        on orders.customer_id = first_orders.customer_id
),

cohort_sizes as (
    select
        cohort_month,
        count(*) as cohort_customers
    from first_orders
    group by cohort_month
),

retention as (
    select
        activity.cohort_month,
        activity.months_since_first_order,
        cohort_sizes.cohort_customers,
        count(*) as active_customers,
        cast(count(*) as {{ type_double() }}) / cohort_sizes.cohort_customers
            as retention_rate
    from activity
    inner join cohort_sizes
        on activity.cohort_month = cohort_sizes.cohort_month
    group by
        activity.cohort_month,
        activity.months_since_first_order,
        cohort_sizes.cohort_customers
)

select * from retention
order by cohort_month, months_since_first_order
