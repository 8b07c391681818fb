-- How concentrated is value: customers, spend and share of spend per decile.
with

customer_features as (
    select
        customer_id,
        monetary,
        frequency,
        recency_days
    from {{ ref('customer_features') }}
),

ranked as (
    select
        customer_id,
        monetary,
        frequency,
        recency_days,
        ntile(10) over (order by monetary desc) as value_decile
    from customer_features
),

deciles as (
    select
        value_decile,
        count(*) as customers,
        sum(monetary) as monetary,
        sum(monetary) / sum(sum(monetary)) over () as share_of_monetary,
        avg(frequency) as avg_frequency,
        avg(recency_days) as avg_recency_days
    from ranked
    group by value_decile
)

select * from deciles
order by value_decile
