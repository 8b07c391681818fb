{{ config(
    materialized='incremental',
    unique_key=['as_of_date', 'segment_id'],
    incremental_strategy='delete+insert',
    full_refresh=false,
) }}
{#- History accumulates across builds: full_refresh=false keeps it through
    `dbt build --full-refresh`; a rerun at the same as_of_date replaces its rows. #}

with

customer_scores as (
    select
        segment_id,
        segment_name,
        monetary,
        monetary_last_90d,
        churn_probability,
        predicted_ltv,
        as_of_date
    from {{ ref('customer_scores') }}
),

sizes as (
    select
        segment_id,
        min(segment_name) as segment_name,
        count(*) as customers,
        cast(sum(monetary) as decimal(18, 2)) as monetary,
        cast(sum(monetary_last_90d) as decimal(18, 2)) as revenue_last_90d,
        -- Rounded: a parallel float sum varies in its last digits from run to
        -- run, and a rerun must leave the history byte for byte unchanged.
        round(avg(churn_probability), 9) as mean_churn_probability,
        round(sum(predicted_ltv), 4) as total_predicted_ltv,
        as_of_date
    from customer_scores
    group by segment_id, as_of_date
)

select * from sizes
